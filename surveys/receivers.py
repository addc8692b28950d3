"""Listeners to tickets.signals, connected in SurveysConfig.ready(): each a line or two."""

from django.dispatch import receiver

from tickets.signals import contact_recorded, history_changed, ticket_reopened, ticket_solved

from . import decisions, followups


@receiver(contact_recorded, dispatch_uid="surveys.contact_recorded")
def on_contact_recorded(sender, created=(), updated=(), source="api", **kwargs) -> None:
    if source in decisions.HISTORY_SOURCES:
        return
    decisions.invitations_decide_for_contacts(created, updated)


@receiver(ticket_solved, dispatch_uid="surveys.ticket_solved")
def on_ticket_solved(sender, ticket_ids=(), source="api", **kwargs) -> None:
    if source in decisions.HISTORY_SOURCES:
        return
    decisions.invitations_decide_for_tickets(ticket_ids)


@receiver(ticket_reopened, dispatch_uid="surveys.ticket_reopened")
def on_ticket_reopened(sender, ticket_ids=(), source="api", **kwargs) -> None:
    if source in decisions.HISTORY_SOURCES:
        return
    decisions.invitations_cancel_for_reopened(ticket_ids)


@receiver(history_changed, dispatch_uid="surveys.history_changed")
def on_history_changed(sender, everything=False, answers_at=(), moments=(), **kwargs) -> None:
    # An import (everything, or its moments) or answers loaded in bulk: recent detractors among
    # them open follow-ups, as answers given on our pages do.
    if everything or answers_at or moments:
        followups.followups_raise_for_imported()
