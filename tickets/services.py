"""Writing the ticket history. Every way in (REST API, CSV import, webhooks) ends here.

An upsert is keyed by external id: sending the same records twice changes nothing. Unknown
customers, agents, teams (and tickets named by a contact) are created on the fly. The derived
facts (tickets.facts) are refreshed for the customers touched, and one batch signal is sent, all
in the caller's transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from django.db import models, transaction
from django.utils import timezone

from . import signals
from .bounds import records_check
from .bulk import rows_insert, rows_update
from .facts import facts_refresh
from .labels import reasons_ensure
from .models import Agent, Contact, Customer, ErasedCustomer, Team, Ticket, erased_digest
from .records import ContactRecord, CustomerRecord, TicketRecord


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "created_ids": self.created,
            "updated_ids": self.updated,
        }


@dataclass
class Written:
    """What one batch changed, for callers that refresh facts and announce once per many batches
    (the CSV import): primary keys created and updated, customers touched, tickets that went
    solved or back to open."""

    result: UpsertResult
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    customers: set[int] = field(default_factory=set)
    solved: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    # Old and new values of what was written, for signals.history_changed.
    marks: dict[str, list] = field(default_factory=dict)


def ids_ensure(model: type[models.Model], external_ids: Iterable[str]) -> dict[str, int]:
    """Primary keys of the given external ids, creating bare rows for the unknown ones."""
    wanted = {e for e in external_ids if e}
    if not wanted:
        return {}
    known = dict(model.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    missing = wanted - known.keys()
    if missing:
        rows_insert(model, [model(external_id=e) for e in sorted(missing)], ignore_conflicts=True)
        known.update(model.objects.filter(external_id__in=missing).values_list("external_id", "pk"))
    return known


def erased_ids(external_ids: Iterable[str]) -> set[str]:
    """The ids among these whose customer's personal data was erased (one query, none while
    nobody was ever erased)."""
    if not ErasedCustomer.objects.exists():
        return set()
    digests = {erased_digest(e): e for e in external_ids if e}
    found = ErasedCustomer.objects.filter(digest__in=digests).values_list("digest", flat=True)
    return {digests[d] for d in found}


def customers_ensure(external_ids: Iterable[str]) -> dict[str, int]:
    """`ids_ensure` for customers: one named by an id that was erased (tickets.personal_data)
    is opted out, whoever sends history about them, so that nothing is asked of them again."""
    known = ids_ensure(Customer, external_ids)
    erased = erased_ids(known)
    if erased:
        Customer.objects.filter(external_id__in=erased, opted_out_at__isnull=True).update(
            opted_out_at=timezone.now()
        )
    return known


def customers_upsert(records: Sequence[CustomerRecord]) -> dict[str, int]:
    """Create or update customers' contact details; blank fields leave what is known. The
    details of a customer whose id was erased are dropped: they are not written again."""
    # Merge each customer's details (later records win); create the unknown customers with
    # theirs and write only the known rows that differ: a few queries for a batch of 1,000.
    details: dict[str, dict[str, str]] = {}
    for record in records:
        if record.external_id:
            details.setdefault(record.external_id, {}).update(
                (f.name, getattr(record, f.name))
                for f in fields(record)
                if f.name != "external_id" and getattr(record, f.name)
            )
    for external_id in erased_ids(details):
        details[external_id] = {}
    if not details:
        return {}
    existing = {c.external_id: c for c in Customer.objects.filter(external_id__in=details)}
    rows_insert(
        Customer,
        [Customer(external_id=e, **d) for e, d in sorted(details.items()) if e not in existing],
        ignore_conflicts=True,
    )
    changed, names = [], set()
    for external_id, customer in existing.items():
        wanted = details[external_id]
        if any(getattr(customer, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(customer, name, value)
            changed.append(customer)
            names |= wanted.keys()
    rows_update(Customer, changed, sorted(names))
    return customers_ensure(details)


@transaction.atomic
def tickets_upsert(records: Sequence[TicketRecord], source: str = "api") -> UpsertResult:
    written = tickets_write(records)
    facts_refresh(written.customers)
    tickets_announce(written, source)
    history_announce(written)
    return written.result


def tickets_write(records: Sequence[TicketRecord]) -> Written:
    """Upsert tickets without refreshing facts or announcing: the caller does both."""
    records_check(records)
    reasons_ensure(r.reason for r in records)
    customers = customers_ensure(r.customer for r in records)
    rows = [
        Ticket(
            external_id=r.external_id,
            customer_id=customers[r.customer],
            reason=r.reason,
            priority=r.priority,
            created_at=r.created_at,
            solved_at=r.solved_at,
        )
        for r in records
    ]
    wanted = [r.external_id for r in rows]
    existing = {t.external_id: t for t in Ticket.objects.filter(external_id__in=wanted)}
    fieldnames = ["customer_id", "reason", "priority", "created_at", "solved_at"]
    result, new, changed = _split(rows, existing, fieldnames)
    rows_insert(Ticket, new)
    rows_update(Ticket, changed, fieldnames)

    touched = {t.customer_id for t in new + changed}
    touched |= {existing[t.external_id].customer_id for t in changed}
    solved = [t.pk for t in new if t.solved_at] + [
        t.pk for t in changed if t.solved_at and existing[t.external_id].solved_at is None
    ]
    reopened = [t.pk for t in changed if not t.solved_at and existing[t.external_id].solved_at]
    return Written(
        result,
        created=[t.pk for t in new],
        updated=[t.pk for t in changed],
        customers=touched,
        solved=solved,
        reopened=reopened,
        marks={
            "solved_at": [t.solved_at for t in new + changed]
            + [existing[t.external_id].solved_at for t in changed],
            # The answers about a changed ticket count under its solved state and contacts.
            "ticket_ids": [t.pk for t in changed],
        },
    )


def tickets_announce(written: Written, source: str) -> None:
    if written.solved:
        signals.ticket_solved.send(sender=Ticket, ticket_ids=written.solved, source=source)
    if written.reopened:
        signals.ticket_reopened.send(sender=Ticket, ticket_ids=written.reopened, source=source)


@transaction.atomic
def contacts_upsert(
    records: Sequence[ContactRecord],
    source: str = "api",
    customer_details: Sequence[CustomerRecord] = (),
) -> UpsertResult:
    """Upsert contacts; `customer_details` (optional) are their customers', written first."""
    customers_upsert(customer_details)
    written = contacts_write(records)
    facts_refresh(written.customers)
    contacts_announce(written, source)
    history_announce(written)
    return written.result


@transaction.atomic
def history_upsert(
    contacts: Sequence[ContactRecord],
    tickets: Sequence[TicketRecord],
    source: str = "api",
    customer_details: Sequence[CustomerRecord] = (),
) -> tuple[UpsertResult, UpsertResult]:
    """`contacts_upsert` and `tickets_upsert` in one step: the same writes and the same
    signals (contacts announced first, so that a ticket solved in the batch is decided with
    its contacts), the customers' facts refreshed once for both. For callers that receive both
    at once (helpdesk connectors). Tickets are written first: a contact naming one then finds
    it, rather than opening it bare for the ticket's own row to rewrite at once."""
    customers_upsert(customer_details)
    tickets_written = tickets_write(tickets)
    contacts_written = contacts_write(contacts)
    facts_refresh(contacts_written.customers | tickets_written.customers)
    contacts_announce(contacts_written, source)
    tickets_announce(tickets_written, source)
    for written in (contacts_written, tickets_written):
        history_announce(written)
    return contacts_written.result, tickets_written.result


def contacts_write(records: Sequence[ContactRecord]) -> Written:
    """Upsert contacts without refreshing facts or announcing: the caller does both."""
    records_check(records)
    reasons_ensure(r.reason for r in records)
    customers = customers_ensure(r.customer for r in records)
    teams = ids_ensure(Team, (r.team for r in records if r.team))
    agents = _agents_ensure(records, teams)
    tickets = _tickets_ensure(records, customers)
    rows = [
        Contact(
            external_id=r.external_id,
            ticket_id=tickets.get(r.ticket) if r.ticket else None,
            customer_id=customers[r.customer],
            channel=r.channel,
            reason=r.reason,
            agent_id=agents.get(r.agent) if r.agent else None,
            team_id=teams.get(r.team) if r.team else None,
            direction=r.direction,
            started_at=r.started_at,
            answered_at=r.answered_at,
            ended_at=r.ended_at,
            handle_seconds=r.handle_seconds,
            do_not_survey=r.do_not_survey,
        )
        for r in records
    ]
    existing = {
        c.external_id: c
        for c in Contact.objects.filter(external_id__in=[r.external_id for r in rows])
    }
    fieldnames = [
        "ticket_id", "customer_id", "channel", "reason", "agent_id", "team_id", "direction",
        "started_at", "answered_at", "ended_at", "handle_seconds", "do_not_survey",
    ]  # fmt: skip
    result, new, changed = _split(rows, existing, fieldnames)
    rows_insert(Contact, new)
    rows_update(Contact, changed, fieldnames)

    touched = {c.customer_id for c in new + changed}
    touched |= {existing[c.external_id].customer_id for c in changed}
    olds = [existing[c.external_id] for c in changed]
    marks = {
        "contacts_at": [c.started_at for c in new + changed + olds],
        "ticket_ids": sorted({c.ticket_id for c in new + changed + olds if c.ticket_id}),
        "contact_ids": [c.pk for c in changed],
    }
    return Written(
        result,
        created=[c.pk for c in new],
        updated=[c.pk for c in changed],
        customers=touched,
        marks=marks,
    )


def contacts_announce(written: Written, source: str) -> None:
    if written.created or written.updated:
        signals.contact_recorded.send(
            sender=Contact, created=written.created, updated=written.updated, source=source
        )


def history_announce(written: Written) -> None:
    if written.created or written.updated:
        signals.history_changed.send(sender=Written, **written.marks)


def _split(
    rows: list, existing: dict[str, models.Model], fieldnames: list[str]
) -> tuple[UpsertResult, list, list]:
    """Sort incoming rows into new, changed (pk set) and unchanged, keeping the last duplicate."""
    result = UpsertResult()
    latest = {row.external_id: row for row in rows}
    new, changed = [], []
    for external_id, row in latest.items():
        old = existing.get(external_id)
        if old is None:
            new.append(row)
            result.created.append(external_id)
        elif any(getattr(old, f) != getattr(row, f) for f in fieldnames):
            row.pk = old.pk
            changed.append(row)
            result.updated.append(external_id)
        else:
            result.unchanged.append(external_id)
    return result, new, changed


def _agents_ensure(records: Sequence[ContactRecord], teams: dict[str, int]) -> dict[str, int]:
    agents = ids_ensure(Agent, (r.agent for r in records if r.agent))
    # An agent learns its team from the first contact naming both, unless one is already set
    # (first, so that a batch and the whole CSV import give an agent the same team).
    team_of: dict[str, int] = {}
    for r in records:
        if r.agent and r.team:
            team_of.setdefault(r.agent, teams[r.team])
    # One UPDATE per team rather than per agent: a batch names ~200 agents but ~10 teams.
    agents_of: dict[int, list[int]] = {}
    for external_id, team_id in team_of.items():
        agents_of.setdefault(team_id, []).append(agents[external_id])
    for team_id, pks in agents_of.items():
        Agent.objects.filter(pk__in=pks, team__isnull=True).update(team_id=team_id)
    return agents


def _tickets_ensure(records: Sequence[ContactRecord], customers: dict[str, int]) -> dict[str, int]:
    """Tickets named by contacts; an unknown one is opened from its first contact."""
    wanted = {r.ticket for r in records if r.ticket}
    known = dict(Ticket.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    firsts: dict[str, ContactRecord] = {}
    for r in sorted(records, key=lambda r: r.started_at):
        if r.ticket and r.ticket not in known:
            firsts.setdefault(r.ticket, r)
    if firsts:
        rows_insert(
            Ticket,
            [
                Ticket(
                    external_id=ext,
                    customer_id=customers[r.customer],
                    reason=r.reason,
                    created_at=r.started_at,
                )
                for ext, r in firsts.items()
            ],
            ignore_conflicts=True,
        )
        known.update(Ticket.objects.filter(external_id__in=firsts).values_list("external_id", "pk"))
    return known
