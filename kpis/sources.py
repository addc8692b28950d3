"""The history rows KPIs count, each written once: which rows, the day a row counts on, and
where each dimension (channel, team, agent, reason, priority) is read from.

A KPI definition (kpis.definition) names its source; the rollups (kpis.rollups.specs) sum the
same rows per day, so a figure read from them equals the scanned one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from surveys.models import AgentRating, Invitation, RepeatCause, Response
from tickets.models import Contact, Ticket
from workforce.models import PresenceHour


@dataclass(frozen=True)
class Source:
    name: str
    rows: Callable[[], QuerySet]
    date_field: str  # the instant a row counts on, cut into local days and periods
    dimensions: Mapping[str, Any]  # dimension -> the field path it is read from
    # The per-day rollup summing these rows (kpis.rollups), if any, and its column counting
    # every row: a group exists, scanned or rolled up, only when that count is not zero.
    rollup: str | None = None
    count: str = "rows"

    def __str__(self) -> str:
        return self.name


CONTACT_DIMENSIONS = {
    "channel": "channel",
    "team": "team__external_id",
    "agent": "agent__external_id",
    "reason": "reason",
    "priority": "ticket__priority",
}

# A ticket is counted under the channel, team and agent of its first inbound contact.
TICKET_DIMENSIONS = {
    "channel": "first_inbound_contact__channel",
    "team": "first_inbound_contact__team__external_id",
    "agent": "first_inbound_contact__agent__external_id",
    "reason": "reason",
    "priority": "priority",
}

# Answers are counted under their contact's channel, team, agent and reason.
RESPONSE_DIMENSIONS = {
    "channel": "contact__channel",
    "team": "contact__team__external_id",
    "agent": "contact__agent__external_id",
    "reason": "contact__reason",
    "priority": "ticket__priority",
}

CONTACTS = Source(
    "contacts",
    lambda: Contact.objects.all(),
    "started_at",
    CONTACT_DIMENSIONS,
    rollup="contacts",
    count="contacts",
)

SOLVED_TICKETS = Source(
    "solved_tickets",
    lambda: Ticket.objects.filter(solved_at__isnull=False),
    "solved_at",
    TICKET_DIMENSIONS,
    rollup="tickets",
    count="solved",
)

# Every ticket, by the day it was opened (the backlog keeps the open ones).
TICKETS = Source(
    "tickets", lambda: Ticket.objects.all(), "created_at", TICKET_DIMENSIONS, count="tickets"
)

RESPONSES = Source(
    "responses",
    lambda: Response.objects.all(),
    "responded_at",
    RESPONSE_DIMENSIONS,
    rollup="responses",
    count="responses",
)

RATINGS = Source(
    "ratings",
    lambda: AgentRating.objects.all(),
    "rated_at",
    {
        "channel": "contact__channel",
        "team": "contact__team__external_id",
        "agent": "agent__external_id",
        "reason": "contact__reason",
        "priority": "contact__ticket__priority",
    },
    rollup="ratings",
    count="agent_n",
)

CAUSES = Source(
    "causes",
    lambda: RepeatCause.objects.all(),
    "answered_at",
    {name: f"contact__{path}" for name, path in CONTACT_DIMENSIONS.items()},
    rollup="causes",
    count="n",
)

SENT_INVITATIONS = Source(
    "sent_invitations",
    lambda: Invitation.objects.filter(sent_at__isnull=False),
    "sent_at",
    {
        "channel": "channel",
        "team": "team__external_id",
        "agent": "agent__external_id",
        "reason": "contact__reason",
        "priority": "ticket__priority",
    },
    count="sent",
)

# Agents' presence, per agent and local hour (workforce.presence keeps it from their states).
# Presence has no channel, reason or priority: only team and agent cut it.
PRESENCE = Source(
    "presence",
    lambda: PresenceHour.objects.all(),
    "hour",
    {"team": "team__external_id", "agent": "agent__external_id"},
    count="agent_hours",
)
