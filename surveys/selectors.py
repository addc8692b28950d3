"""Reads for the survey pages."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import Agent, Contact

from .models import FollowUp

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


def followups_list(*, handled: bool = False) -> QuerySet[FollowUp]:
    queryset = FollowUp.objects.filter(handled_at__isnull=not handled).select_related(
        "response",
        "repeat_cause",
        "ticket",
        "contact",
        "agent",
        "team",
        "handled_by",
    )
    return queryset.order_by("-handled_at" if handled else "-created_at", "-pk")
