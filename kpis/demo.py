"""`make demo`: a few months of sample history ending today, and a login to look at it.

Idempotent: a database that already holds history is left as it is, and an existing `admin`
login is kept (its password is never printed again; `changepassword` resets it).
"""

import csv
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command, get_commands
from django.db import transaction

from surveys.models import SCALES, AgentRating, RepeatCause, Response
from tickets.facts import facts_refresh
from tickets.models import Agent, Contact, Ticket
from tickets.permissions import QUALITY_MANAGERS_GROUP
from tickets.records import ContactRecord, TicketRecord
from tickets.sample_history import history_generate, months_after
from tickets.services import contacts_write, tickets_write

DEMO_USERNAME = "admin"
DEMO_CONTACTS = 4000
DEMO_MONTHS = 4


@dataclass
class DemoLogin:
    username: str
    password: str | None  # None: the login already existed, its password is unchanged


def history_load_sample(
    contacts: int = DEMO_CONTACTS, months: int = DEMO_MONTHS, stdout=None
) -> dict[str, int] | None:
    """Generate and import a sample history ending now, unless there is history already."""
    if Contact.objects.exists():
        return None
    now = datetime.now(UTC)
    tomorrow = now.date() + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="ecoute-demo-") as folder:
        counts = history_generate(
            Path(folder),
            contacts=contacts,
            start=months_after(tomorrow, -months),
            months=months,
            snapshot=now,
        )
        if "import_history" in get_commands():
            call_command("import_history", folder, stdout=stdout)
        else:
            _load_through_services(Path(folder))
    return counts


def _rows(path: Path):
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield {k: v or None for k, v in row.items()}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _batches(rows, size: int = 1000):
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@transaction.atomic
def _load_through_services(folder: Path) -> None:
    """Stand-in for import_history while it is not in the project yet: same services, slower."""
    for batch in _batches(_rows(folder / "tickets.csv")):
        tickets_write(
            [
                TicketRecord(
                    r["ticket_id"], r["customer_id"], r["reason"], _time(r["created_at"]),
                    r["priority"], _time(r["solved_at"]),
                )
                for r in batch
            ]
        )  # fmt: skip
    for batch in _batches(_rows(folder / "contacts.csv")):
        contacts_write(
            [
                ContactRecord(
                    r["contact_id"], r["customer_id"], r["channel"], r["reason"], r["direction"],
                    _time(r["started_at"]), r["ticket_id"], r["agent_id"], r["team"],
                    _time(r["answered_at"]), _time(r["ended_at"]),
                    int(r["handle_seconds"]) if r["handle_seconds"] else None,
                )
                for r in batch
            ]
        )  # fmt: skip
    facts_refresh(None)
    contacts = dict(Contact.objects.values_list("external_id", "pk"))
    tickets = dict(Ticket.objects.values_list("external_id", "pk"))
    agents = dict(Agent.objects.values_list("external_id", "pk"))
    Response.objects.bulk_create(
        Response(
            external_id=r["response_id"], ticket_id=tickets[r["ticket_id"]],
            contact_id=contacts[r["contact_id"]], kind=r["kind"], score=int(r["score"]),
            scale_min=SCALES[r["kind"]][0], scale_max=SCALES[r["kind"]][1],
            responded_at=_time(r["responded_at"]), comment=r["comment"] or "",
        )
        for r in _rows(folder / "responses.csv")
    )  # fmt: skip
    AgentRating.objects.bulk_create(
        AgentRating(
            contact_id=contacts[r["contact_id"]], agent_id=agents[r["agent_id"]],
            score=int(r["score"]), rated_at=_time(r["rated_at"]),
        )
        for r in _rows(folder / "agent_ratings.csv")
    )  # fmt: skip
    RepeatCause.objects.bulk_create(
        RepeatCause(
            contact_id=contacts[r["contact_id"]], code=r["reason_code"],
            answered_at=_time(r["answered_at"]),
        )
        for r in _rows(folder / "repeat_reasons.csv")
    )  # fmt: skip


@transaction.atomic
def demo_login_ensure() -> DemoLogin:
    """The demo superuser, in the quality managers' group; created with a random password."""
    User = get_user_model()
    user = User.objects.filter(username=DEMO_USERNAME).first()
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_USERNAME, "admin@example.com", password)
    group = Group.objects.filter(name=QUALITY_MANAGERS_GROUP).first()
    if group is not None:
        user.groups.add(group)
    return DemoLogin(DEMO_USERNAME, password)
