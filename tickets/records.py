"""Validated history records: what every way in (API, CSV, webhooks) hands to the services.

Related rows are named by their external ids; the services create the ones they do not know.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TicketRecord:
    external_id: str
    customer: str
    reason: str
    created_at: datetime
    priority: str = "normal"
    solved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    external_id: str
    customer: str
    channel: str
    reason: str
    direction: str
    started_at: datetime
    ticket: str | None = None
    agent: str | None = None
    team: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    handle_seconds: int | None = None
    do_not_survey: bool = False


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    external_id: str
    email: str = ""
    phone: str = ""
    name: str = ""
    language: str = ""
    timezone: str = ""
