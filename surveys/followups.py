"""Closing the loop: a detractor or a customer's repeat cause becomes a FollowUp, and the team's
lead gets an email about it.

The email goes out after the answer commits (never inside the transaction: a rollback cannot
unsend a mail). If it fails, the failure is logged and `alerted_at` stays empty, which the
follow-up list shows. A comment the customer adds afterwards is sent to the lead too.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import FollowUp, FollowUpKind, Invitation, RepeatCause, Response

logger = logging.getLogger(__name__)


def _about(invitation: Invitation) -> dict:
    return {
        "contact_id": invitation.contact_id,
        "ticket_id": invitation.ticket_id,
        "agent_id": invitation.agent_id,
        "team_id": invitation.team_id,
    }


def followup_raise_for_response(response: Response, invitation: Invitation) -> FollowUp | None:
    """A detractor score opens a follow-up (once per response) and alerts the team's lead."""
    if not response.is_detractor:
        return None
    follow_up, created = FollowUp.objects.get_or_create(
        response=response, defaults={"kind": FollowUpKind.DETRACTOR, **_about(invitation)}
    )
    if created:
        transaction.on_commit(partial(followup_alert_send, follow_up.pk), robust=True)
    return follow_up


def followup_raise_for_repeat_cause(cause: RepeatCause, invitation: Invitation) -> FollowUp:
    follow_up, created = FollowUp.objects.get_or_create(
        repeat_cause=cause, defaults={"kind": FollowUpKind.REPEAT_CAUSE, **_about(invitation)}
    )
    if created:
        transaction.on_commit(partial(followup_alert_send, follow_up.pk), robust=True)
    return follow_up


def followup_comment_added(response: Response) -> None:
    """The customer explained a bad score after the alert went out: tell the lead."""
    follow_up = FollowUp.objects.filter(response=response).only("pk", "alerted_at").first()
    if follow_up is not None:
        transaction.on_commit(partial(followup_alert_send, follow_up.pk, update=True), robust=True)


@transaction.atomic
def followup_handle(follow_up: FollowUp, *, user, note: str) -> FollowUp:
    follow_up.handled_at = timezone.now()
    follow_up.handled_by = user
    follow_up.note = (note or "").strip()[:2000]
    follow_up.save(update_fields=["handled_at", "handled_by", "note"])
    return follow_up


def followup_alert_send(follow_up_id: int, *, update: bool = False) -> bool:
    """Email the team's lead about a follow-up; False when there is nobody to tell."""
    follow_up = FollowUp.objects.select_related(
        "response", "repeat_cause", "ticket", "contact", "agent", "team"
    ).get(pk=follow_up_id)
    recipient = follow_up.team.lead_email if follow_up.team else ""
    if not recipient:
        return False
    # Leads read the service's language; customers' languages vary.
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "follow_up": follow_up,
            "response": follow_up.response,
            "cause": follow_up.repeat_cause,
            "update": update,
            "list_url": settings.SITE_URL + reverse("surveys_staff:followups"),
        }
        subject = render_to_string("surveys/emails/followup_alert_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("surveys/emails/followup_alert.txt", context),
            to=[recipient],
        )
        message.attach_alternative(
            render_to_string("surveys/emails/followup_alert.html", context), "text/html"
        )
    message.send()
    if not update:
        FollowUp.objects.filter(pk=follow_up.pk).update(alerted_at=timezone.now())
    logger.info("follow-up %s: alert sent to the team lead", follow_up.pk)
    return True
