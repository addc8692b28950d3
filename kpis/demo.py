"""`make demo`: a few months of sample history ending today, and a login to look at it.

Idempotent: a database that already holds history is left as it is, and an existing `admin`
login is kept (its password is never printed again; `changepassword` resets it).
"""

import csv
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction

from surveys.models import SCALES, AgentRating, RepeatCause, Response
from tickets.importing.registry import extra_history_files
from tickets.models import Agent, Contact, Ticket
from tickets.permissions import QUALITY_MANAGERS_GROUP
from tickets.sample_history import history_generate, months_after

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
        call_command("import_history", folder, stdout=stdout)
        _answers_load(Path(folder))
    return counts


def _rows(path: Path):
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield {k: v or None for k, v in row.items()}


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@transaction.atomic
def _answers_load(folder: Path) -> None:
    """Survey answers, agent ratings and repeat causes, for the files import_history does not
    read yet (surveys registers them with tickets.importing); a stand-in until it does."""
    registered = {f.format.file for f in extra_history_files()}
    contacts = dict(Contact.objects.values_list("external_id", "pk"))
    tickets = dict(Ticket.objects.values_list("external_id", "pk"))
    agents = dict(Agent.objects.values_list("external_id", "pk"))
    if "responses.csv" not in registered:
        Response.objects.bulk_create(
            Response(
                external_id=r["response_id"],
                ticket_id=tickets[r["ticket_id"]],
                contact_id=contacts[r["contact_id"]],
                kind=r["kind"],
                score=int(r["score"]),
                scale_min=SCALES[r["kind"]][0],
                scale_max=SCALES[r["kind"]][1],
                responded_at=_time(r["responded_at"]),
                comment=r["comment"] or "",
            )
            for r in _rows(folder / "responses.csv")
        )
    if "agent_ratings.csv" not in registered:
        AgentRating.objects.bulk_create(
            AgentRating(
                contact_id=contacts[r["contact_id"]],
                agent_id=agents[r["agent_id"]],
                score=int(r["score"]),
                rated_at=_time(r["rated_at"]),
            )
            for r in _rows(folder / "agent_ratings.csv")
        )
    if "repeat_reasons.csv" not in registered:
        RepeatCause.objects.bulk_create(
            RepeatCause(
                contact_id=contacts[r["contact_id"]],
                code=r["reason_code"],
                answered_at=_time(r["answered_at"]),
            )
            for r in _rows(folder / "repeat_reasons.csv")
        )


@transaction.atomic
def demo_login_ensure() -> DemoLogin:
    """The demo superuser, in the quality managers' group; created with a random password."""
    user = User.objects.filter(username=DEMO_USERNAME).first()
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_USERNAME, "admin@example.com", password)
    group = Group.objects.filter(name=QUALITY_MANAGERS_GROUP).first()
    if group is not None:
        user.groups.add(group)
    return DemoLogin(DEMO_USERNAME, password)
