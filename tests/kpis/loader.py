"""Load a history directory in the reference's CSV layout, through the ingestion services.

Used until `import_history` reads the same files; tickets and contacts go through
tickets.services (so the derived facts are computed as in production), answers are bulk created.
"""

import csv
from datetime import datetime
from pathlib import Path

from surveys.models import SCALES, AgentRating, RepeatCause, Response
from tickets.models import Agent, Contact, Ticket
from tickets.records import ContactRecord, TicketRecord
from tickets.services import contacts_upsert, tickets_upsert

CHUNK = 2000


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _at(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_history(directory: Path) -> None:
    tickets = [
        TicketRecord(
            external_id=r["ticket_id"], customer=r["customer_id"], reason=r["reason"],
            priority=r["priority"], created_at=_at(r["created_at"]),
            solved_at=_at(r["solved_at"]),
        )
        for r in _rows(directory / "tickets.csv")
    ]  # fmt: skip
    for i in range(0, len(tickets), CHUNK):
        tickets_upsert(tickets[i : i + CHUNK], source="import")
    contacts = [
        ContactRecord(
            external_id=r["contact_id"], customer=r["customer_id"], channel=r["channel"],
            reason=r["reason"], direction=r["direction"], started_at=_at(r["started_at"]),
            ticket=r["ticket_id"] or None, agent=r["agent_id"] or None, team=r["team"] or None,
            answered_at=_at(r["answered_at"]), ended_at=_at(r["ended_at"]),
            handle_seconds=int(r["handle_seconds"]) if r["handle_seconds"] else None,
        )
        for r in _rows(directory / "contacts.csv")
    ]  # fmt: skip
    for i in range(0, len(contacts), CHUNK):
        contacts_upsert(contacts[i : i + CHUNK], source="import")

    contact_pk = dict(Contact.objects.values_list("external_id", "pk"))
    ticket_pk = dict(Ticket.objects.values_list("external_id", "pk"))
    agent_pk = dict(Agent.objects.values_list("external_id", "pk"))
    Response.objects.bulk_create(
        [
            Response(
                external_id=r["response_id"],
                contact_id=contact_pk.get(r["contact_id"]),
                ticket_id=ticket_pk.get(r["ticket_id"]),
                kind=r["kind"],
                score=int(r["score"]),
                scale_min=SCALES[r["kind"]][0],
                scale_max=SCALES[r["kind"]][1],
                responded_at=_at(r["responded_at"]),
                comment=r["comment"],
            )
            for r in _rows(directory / "responses.csv")
        ],
        batch_size=1000,
    )
    AgentRating.objects.bulk_create(
        [
            AgentRating(
                contact_id=contact_pk[r["contact_id"]],
                agent_id=agent_pk[r["agent_id"]],
                score=int(r["score"]),
                rated_at=_at(r["rated_at"]),
            )
            for r in _rows(directory / "agent_ratings.csv")
        ],
        batch_size=1000,
    )
    RepeatCause.objects.bulk_create(
        [
            RepeatCause(
                contact_id=contact_pk[r["contact_id"]],
                code=r["reason_code"],
                answered_at=_at(r["answered_at"]),
            )
            for r in _rows(directory / "repeat_reasons.csv")
        ],
        batch_size=1000,
    )
