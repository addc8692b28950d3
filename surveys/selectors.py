"""Reads for the survey pages."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import Agent, Contact
from tickets.permissions import led_team_ids

from .models import FollowUp, FollowUpKind, FollowUpStatus

# How far back the agent page looks: an agent's reading is worth most right after the contact.
AGENT_PAGE_DAYS = 14
AGENT_PAGE_LIMIT = 50


def contacts_to_score(agent: Agent, *, days: int = AGENT_PAGE_DAYS) -> list[Contact]:
    """The agent's recent handled contacts without their own score yet, newest first."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Contact.objects.filter(
            agent=agent,
            answered_at__isnull=False,
            started_at__gte=since,
            agent_rating__isnull=True,
        )
        .select_related("ticket", "customer")
        .order_by("-started_at", "-pk")[:AGENT_PAGE_LIMIT]
    )


@dataclass(frozen=True)
class FollowUpFilters:
    """What the follow-up list is narrowed to; empty values mean "all"."""

    status: str = "to_handle"  # to_handle (open or in progress), or one FollowUpStatus
    team: int | None = None
    kind: str = ""
    assigned: str = ""  # "me", "nobody" or ""


def followups_visible(user, *, all_teams: bool) -> QuerySet[FollowUp]:
    """A quality manager sees every follow-up; a team lead, those of the teams they lead."""
    if all_teams:
        return FollowUp.objects.all()
    return FollowUp.objects.filter(team_id__in=led_team_ids(user))


def followups_open_count(user, *, all_teams: bool) -> int:
    return (
        followups_visible(user, all_teams=all_teams).exclude(status=FollowUpStatus.HANDLED).count()
    )


def followups_list(
    visible: QuerySet[FollowUp] | None = None, filters: FollowUpFilters | None = None, user=None
) -> QuerySet[FollowUp]:
    """The follow-ups of a list page, with everything a row shows fetched in a few queries."""
    queryset = FollowUp.objects.all() if visible is None else visible
    filters = filters or FollowUpFilters()
    if filters.status == "to_handle":
        queryset = queryset.exclude(status=FollowUpStatus.HANDLED)
    elif filters.status in FollowUpStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.team:
        queryset = queryset.filter(team_id=filters.team)
    if filters.kind in FollowUpKind.values:
        queryset = queryset.filter(kind=filters.kind)
    if filters.assigned == "me" and user is not None:
        queryset = queryset.filter(assigned_to=user)
    elif filters.assigned == "nobody":
        queryset = queryset.filter(assigned_to__isnull=True)
    handled = filters.status == FollowUpStatus.HANDLED
    return (
        queryset.select_related(
            "response",
            "repeat_cause",
            "ticket",
            "contact__customer",
            "contact__agent",
            "ticket__customer",
            "agent",
            "team",
            "handled_by",
            "assigned_to",
        )
        .prefetch_related("response__low_score_reasons")
        .order_by("-handled_at" if handled else "-created_at", "-pk")
    )
