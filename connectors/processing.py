"""Turning stored bodies into history, a batch at a time, through tickets' services.

A worker claims up to CONNECTORS_BATCH_SIZE due bodies (SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL) and, in the same transaction: maps each with its helpdesk's module, checks the
tickets and contacts with the REST API's own serializers, upserts them all at once through
`tickets.services.history_upsert` (the API's upserts and signals, so the survey decisions
and KPI marks follow as for any API call), imports
the ratings through the survey import's loader, and records each body's outcome. A body is
claimed, written and marked in one commit: a killed worker leaves it due, a body is never
recorded twice.

What each body becomes:
- done: recorded (a list of parts that could not be, if any, in `reason`);
- ignored: nothing in it for Ecoute (an event of no use, a private note);
- failed: it cannot be mapped as the source is configured (reason given); a manager fixes the
  mapping and replays it from the admin;
- still pending, later: it names a ticket not received yet (webhooks may arrive out of order);
  after CONNECTORS_MAX_ATTEMPTS tries it fails with that reason.

Bodies of a batch are applied in the order the helpdesk says things happened. A contact's
answer time, end, handle time, agent and team, once known, are kept when a later body does not
carry them; a ticket solved again while still solved keeps its first solved time.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.importing.registry import history_rows_load
from tickets.item_checks import items_check
from tickets.models import Contact, Customer, Direction, Ticket
from tickets.serializers import (
    ContactInputSerializer,
    TicketInputSerializer,
    contact_record,
    customer_record,
    ticket_record,
)
from tickets.services import history_upsert

from . import chatwoot, freshdesk, generic, zammad, zendesk
from .agent_states import states_import
from .mapping import Mapped, Mapper, Rating, Unmappable
from .models import Kind, Payload, PayloadState, Source

logger = logging.getLogger(__name__)

PARSERS: dict[str, Callable[[Any, Mapper], Mapped]] = {
    Kind.ZENDESK: zendesk.parse,
    Kind.FRESHDESK: freshdesk.parse,
    Kind.ZAMMAD: zammad.parse,
    Kind.CHATWOOT: chatwoot.parse,
    Kind.GENERIC: generic.parse,
}
SOURCE = "connector"
# Kept from earlier bodies when a later one does not carry them.
KEPT = ("answered_at", "ended_at", "handle_seconds", "agent_id", "team")


@dataclass
class Outcome:
    state: str
    reason: str = ""
    later: bool = False


@dataclass
class _Item:
    payload: Payload
    mapped: Mapped
    order: tuple = field(default=())


def payloads_process(*, now: datetime | None = None, max_batches: int | None = None) -> int:
    """Process due bodies batch by batch until none is due; returns how many were handled."""
    done = batches = 0
    while max_batches is None or batches < max_batches:
        count = payloads_process_batch(now=now)
        if not count:
            break
        done += count
        batches += 1
    return done


def payloads_process_batch(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    with transaction.atomic():
        _commit_unflushed()
        payloads = list(_lock(_due(now))[: settings.CONNECTORS_BATCH_SIZE])
        if not payloads:
            return 0
        try:
            _bodies_record(payloads, now)
        except Exception:
            # One bad body must not hold up the others: take them one at a time, so that only
            # the culprit fails (with the error), and the rest are recorded.
            logger.exception("A batch of %d bodies failed; retrying them one by one", len(payloads))
            for payload in payloads:
                try:
                    _bodies_record([payload], now)
                except Exception as exc:
                    logger.exception("Body %s could not be processed", payload.pk)
                    reason = _("Error while recording: %(error)s") % {
                        "error": f"{type(exc).__name__}: {exc}"
                    }
                    _settle([payload], {payload.pk: Outcome(PayloadState.FAILED, reason)}, now)
    return len(payloads)


def _bodies_record(payloads: list[Payload], now: datetime) -> None:
    try:
        with transaction.atomic():
            _settle(payloads, _apply(payloads), now)
    except IntegrityError:
        # Another worker created some of the same tickets or contacts meanwhile (bodies of one
        # conversation in two batches): once more, now that they are there, as the REST API
        # does (tickets.api).
        logger.warning("Bodies collided with a concurrent batch; recording them again")
        with transaction.atomic():
            _settle(payloads, _apply(payloads), now)


def _commit_unflushed() -> None:
    """A batch's commit does not wait for the WAL to reach the disk. A crash of PostgreSQL
    may then lose the last commits (~0.6 s): their bodies and what they wrote roll back
    together, so the bodies are still pending and are recorded again. One disk flush less per
    batch, the longest step of a small one on a busy disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _due(now: datetime) -> QuerySet:
    return Payload.objects.filter(state=PayloadState.PENDING, available_at__lte=now).order_by(
        "available_at", "id"
    )


def _lock(queryset: QuerySet) -> QuerySet:
    # SQLite has no row locks and serialises writers: a second worker waits for the first.
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _settle(payloads: list[Payload], outcomes: dict[int, Outcome], now: datetime) -> None:
    """Write each body's outcome: a few UPDATEs for the whole batch."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    later = []
    for payload in payloads:
        outcome = outcomes[payload.pk]
        if outcome.later and payload.attempts + 1 < settings.CONNECTORS_MAX_ATTEMPTS:
            later.append(payload)
        else:
            groups[(outcome.state, outcome.reason)].append(payload.pk)
    for (state, reason), pks in groups.items():
        Payload.objects.filter(pk__in=pks).update(
            state=state, reason=reason, processed_at=now, attempts=_plus_one()
        )
    for payload in later:
        # Waits 1, 2, 4, 8... minutes for what it names to arrive.
        wait = timedelta(minutes=2**payload.attempts)
        Payload.objects.filter(pk=payload.pk).update(
            available_at=now + wait, attempts=_plus_one(), reason=outcomes[payload.pk].reason
        )


def _plus_one():
    from django.db.models import F

    return F("attempts") + 1


# --- Mapping a batch -------------------------------------------------------------------------


def _apply(payloads: list[Payload]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    mappers: dict[int, Mapper] = {}
    items: list[_Item] = []
    # The batch's few sources, read once (not one copy joined per body).
    sources = Source.objects.in_bulk({p.source_id for p in payloads})
    for payload in payloads:
        payload.source = sources[payload.source_id]
        mapper = mappers.get(payload.source_id) or mappers.setdefault(
            payload.source_id, Mapper(payload.source)
        )
        try:
            mapped = PARSERS[payload.source.kind](json.loads(payload.body), mapper)
        except json.JSONDecodeError as exc:
            outcomes[payload.pk] = Outcome(
                PayloadState.FAILED, _("Not JSON: %(error)s") % {"error": exc}
            )
            continue
        except (Unmappable, ValueError, TypeError) as exc:
            outcomes[payload.pk] = Outcome(PayloadState.FAILED, str(exc))
            continue
        if mapped.empty:
            note = "; ".join(mapped.problems) or mapped.note
            state = PayloadState.FAILED if mapped.problems else PayloadState.IGNORED
            outcomes[payload.pk] = Outcome(state, note)
            continue
        at = mapped.at or payload.received_at
        items.append(_Item(payload, mapped, (at, payload.received_at, payload.pk)))
    items.sort(key=lambda item: item.order)
    items = _fill_from_tickets(items, outcomes)
    items, ticket_rows, contact_rows = _validated(items, outcomes)
    if items:
        _record(items, ticket_rows, contact_rows, outcomes)
    for item in items:
        outcomes.setdefault(
            item.payload.pk, Outcome(PayloadState.DONE, "; ".join(item.mapped.problems))
        )
    return outcomes


def _fill_from_tickets(items: list[_Item], outcomes: dict[int, Outcome]) -> list[_Item]:
    """Contacts and replies that name a ticket take what they lack from it (its reason, its
    customer, the channel of its first contact), from this batch or the database. One that
    names a ticket known nowhere yet is tried again later."""
    known: dict[str, dict[str, Any]] = {}
    for item in items:
        for contact in item.mapped.contacts:
            if contact.get("ticket_id") and all(
                contact.get(k) for k in ("reason", "customer_id", "channel")
            ):
                known.setdefault(contact["ticket_id"], {}).update(
                    {k: contact[k] for k in ("reason", "customer_id", "channel")}
                )
    wanted = {
        ref
        for item in items
        for ref in [
            c.get("ticket_id")
            for c in item.mapped.contacts
            if None in (c.get("reason"), c.get("customer_id"), c.get("channel"))
        ]
        + [r.ticket_id for r in item.mapped.replies]
        if ref and ref not in known
    }
    for ticket in (
        Ticket.objects.filter(external_id__in=wanted)
        .select_related("customer", "first_inbound_contact")
        .only("external_id", "reason", "customer__external_id", "first_inbound_contact__channel")
    ):
        first = ticket.first_inbound_contact
        known[ticket.external_id] = {
            "reason": ticket.reason,
            "customer_id": ticket.customer.external_id,
            "channel": first.channel if first else None,
        }
    kept = []
    for item in items:
        missing = [r.ticket_id for r in item.mapped.replies if r.ticket_id not in known]
        for contact in item.mapped.contacts:
            if None in (contact.get("reason"), contact.get("customer_id"), contact.get("channel")):
                ticket = known.get(contact.get("ticket_id") or "")
                if ticket is None or not ticket.get("channel"):
                    missing.append(contact.get("ticket_id") or "?")
                    continue
                for key in ("reason", "customer_id", "channel"):
                    contact[key] = contact.get(key) or ticket[key]
        if missing:
            outcomes[item.payload.pk] = Outcome(
                PayloadState.FAILED,
                _("The ticket %(ids)s has not been received yet.")
                % {"ids": ", ".join(sorted(set(missing)))},
                later=True,
            )
        else:
            kept.append(item)
    return kept


def _validated(
    items: list[_Item], outcomes: dict[int, Outcome]
) -> tuple[list[_Item], list[tuple[datetime, dict[str, Any]]], list[dict[str, Any]]]:
    """Check every ticket and contact by the REST API's serializers' rules, the whole batch at
    once (tickets.item_checks); a body with a bad one fails, naming it and the field, and its
    neighbours are kept. Returns the bodies kept and their checked tickets and contacts, in
    order."""
    bad: dict[int, list[str]] = defaultdict(list)
    checked: list[list[tuple[_Item, dict[str, Any] | None]]] = []
    for serializer_class, key, parts in (
        (TicketInputSerializer, "ticket_id", [(i, t) for i in items for t in i.mapped.tickets]),
        (ContactInputSerializer, "contact_id", [(i, c) for i in items for c in i.mapped.contacts]),
    ):
        rows, errors = items_check(serializer_class, [data for _item, data in parts])
        for index, item_errors in errors.items():
            item, data = parts[index]
            for name, messages in item_errors.items():
                for message in messages:
                    bad[item.payload.pk].append(f"{data.get(key)}: {name}: {message}")
        checked.append([(item, row) for (item, _data), row in zip(parts, rows, strict=True)])
    for item in items:
        if item.payload.pk in bad:
            outcomes[item.payload.pk] = Outcome(
                PayloadState.FAILED, "; ".join(bad[item.payload.pk])
            )
    tickets, contacts = (
        [(item, row) for item, row in pairs if row is not None and item.payload.pk not in bad]
        for pairs in checked
    )
    kept = [item for item in items if item.payload.pk not in bad]
    # A ticket goes with the time its body says things happened: see _merged_tickets.
    return kept, [(item.order[0], row) for item, row in tickets], [row for _i, row in contacts]


def _record(
    items: list[_Item],
    ticket_rows: list[tuple[datetime, dict[str, Any]]],
    contact_rows: list[dict[str, Any]],
    outcomes: dict[int, Outcome],
) -> None:
    tickets = _merged_tickets(ticket_rows)
    contacts = _merged_contacts(contact_rows)
    _replies_apply(contacts, [r for i in items for r in i.mapped.replies])
    records = list(contacts.values())
    if records or tickets:
        history_upsert(
            [contact_record(c) for c in records],
            [ticket_record(t) for t in tickets.values()],
            SOURCE,
            customer_details=[c for c in map(customer_record, records) if c is not None],
        )
    ratings = [(i, r) for i in items for r in i.mapped.ratings]
    if ratings:
        _ratings_import(ratings, outcomes)
    # Agents' states (presence events), through the app that keeps them: connectors.agent_states.
    for pk, reason in states_import(items).items():
        outcomes[pk] = Outcome(PayloadState.FAILED, reason)
    _customers_link(items)


def _customers_link(items: list[_Item]) -> None:
    """Link each body to the customers it is about (its contacts' and tickets' customers, and
    those of the tickets its replies and ratings name), for their personal data's export and
    erasure (connectors.personal_data)."""
    named: dict[int, set[str]] = {}
    through: dict[int, set[str]] = {}
    for item in items:
        mapped = item.mapped
        named[item.payload.pk] = {
            row["customer_id"] for row in mapped.contacts + mapped.tickets if row["customer_id"]
        }
        through[item.payload.pk] = {r.ticket_id for r in mapped.replies + mapped.ratings}
    customers = dict(
        Customer.objects.filter(external_id__in=set().union(*named.values())).values_list(
            "external_id", "pk"
        )
    )
    tickets = dict(
        Ticket.objects.filter(external_id__in=set().union(*through.values())).values_list(
            "external_id", "customer_id"
        )
    )
    pairs = [
        (pk, customer)
        for pk in named
        for customer in {customers[e] for e in named[pk] if e in customers}
        | {tickets[t] for t in through[pk] if t in tickets}
    ]
    link = Payload.customers.through
    if connection.vendor == "postgresql":
        # Two array parameters rather than the ORM's two per row: a batch links 2,000.
        table = connection.ops.quote_name(link._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (payload_id, customer_id)"
                " SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [[p for p, _c in pairs], [c for _p, c in pairs]],
            )
    else:
        link.objects.bulk_create(
            [link(payload_id=p, customer_id=c) for p, c in pairs], ignore_conflicts=True
        )


def _merged_tickets(rows: list[tuple[datetime, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """One ticket per id, in the order things happened (`rows`: each with the time its body
    says it happened); a ticket solved again while solved keeps the time it was first solved.

    A body that happened before the ticket was solved cannot reopen it, though it is recorded
    after: bodies are ordered within a batch, but two workers' batches may commit in either
    order, and a helpdesk may deliver late. Only a body from after the solve reopens."""
    stored = dict(
        Ticket.objects.filter(external_id__in={r["ticket_id"] for _at, r in rows}).values_list(
            "external_id", "solved_at"
        )
    )
    merged: dict[str, dict[str, Any]] = {}
    for at, row in rows:
        previous = (
            merged[row["ticket_id"]]["solved_at"]
            if row["ticket_id"] in merged
            else stored.get(row["ticket_id"])
        )
        if previous is not None and row["solved_at"] is None and at < previous:
            row["solved_at"] = previous
        elif previous is not None and row["solved_at"] is not None:
            row["solved_at"] = min(previous, row["solved_at"])
        merged[row["ticket_id"]] = row
    return merged


def _merged_contacts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        previous = merged.get(row["contact_id"])
        if previous is not None:
            _keep(row, previous)
        merged[row["contact_id"]] = row
    for stored in _stored_contacts(Contact.objects.filter(external_id__in=merged)):
        _keep(merged[stored["contact_id"]], stored)
    return merged


def _keep(row: dict[str, Any], previous: dict[str, Any]) -> None:
    for name in KEPT:
        if row.get(name) in (None, "") and previous.get(name) not in (None, ""):
            row[name] = previous[name]
    # An answer time that came earlier stays the first answer.
    if previous.get("answered_at") and row.get("answered_at"):
        row["answered_at"] = min(row["answered_at"], previous["answered_at"])
    if row.get("answered_at") and row["answered_at"] < row["started_at"]:
        row["answered_at"] = row["started_at"]


def _stored_contacts(queryset: QuerySet) -> Iterable[dict[str, Any]]:
    """Stored contacts in the serializers' shape, so that replies and merges can rewrite them."""
    for contact in queryset.select_related("customer", "agent", "team", "ticket"):
        yield {
            "contact_id": contact.external_id,
            "ticket_id": contact.ticket.external_id if contact.ticket else None,
            "customer_id": contact.customer.external_id,
            "channel": contact.channel,
            "reason": contact.reason,
            "agent_id": contact.agent.external_id if contact.agent else None,
            "team": contact.team.external_id if contact.team else None,
            "direction": contact.direction,
            "started_at": contact.started_at,
            "answered_at": contact.answered_at,
            "ended_at": contact.ended_at,
            "handle_seconds": contact.handle_seconds,
            "do_not_survey": contact.do_not_survey,
            "customer_email": "",
            "customer_phone": "",
            "customer_language": "",
        }


def _replies_apply(contacts: dict[str, dict[str, Any]], replies: list) -> None:
    """An agent's reply answers the ticket's inbound contacts that started before it and were
    not answered yet, whether in this batch or stored."""
    if not replies:
        return
    tickets = {r.ticket_id for r in replies}
    stored = Contact.objects.filter(
        ticket__external_id__in=tickets, direction=Direction.INBOUND, answered_at__isnull=True
    ).exclude(external_id__in=contacts)
    for row in _stored_contacts(stored):
        contacts[row["contact_id"]] = row
    for reply in sorted(replies, key=lambda r: r.at):
        for row in contacts.values():
            if (
                row["ticket_id"] == reply.ticket_id
                and row["direction"] == Direction.INBOUND
                and row["answered_at"] is None
                and row["started_at"] <= reply.at
            ):
                row["answered_at"] = reply.at
                row["agent_id"] = row["agent_id"] or reply.agent_id


def _ratings_import(ratings: list[tuple[_Item, Rating]], outcomes: dict[int, Outcome]) -> None:
    """Satisfaction ratings through the survey import's own loader (registered with tickets by
    surveys), as CSAT answers about the ticket and the contact that opened it."""
    wanted = {r.ticket_id for _item, r in ratings}
    tickets = set(
        Ticket.objects.filter(external_id__in=wanted).values_list("external_id", flat=True)
    )
    contacts = set(
        Contact.objects.filter(external_id__in=wanted).values_list("external_id", flat=True)
    )
    rows, owners = [], []
    missing: dict[int, set[str]] = defaultdict(set)
    for item, rating in ratings:
        if rating.ticket_id not in tickets:
            missing[item.payload.pk].add(rating.ticket_id)
            continue
        moment = rating.responded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        contact = rating.ticket_id if rating.ticket_id in contacts else ""
        rows.append(
            [
                rating.response_id,
                rating.ticket_id,
                contact,
                "csat",
                str(rating.score),
                moment,
                rating.comment,
            ]
        )
        owners.append(item)

    for pk, ids in missing.items():
        reason = _("The ticket %(ids)s has not been received yet.") % {
            "ids": ", ".join(sorted(ids))
        }
        outcomes[pk] = Outcome(PayloadState.FAILED, reason, later=True)

    def reject(error) -> None:
        item = owners[error.line - 1]
        item.mapped.problems.append(str(error))

    try:
        history_rows_load("responses.csv", rows, reject)
    except LookupError:
        for item in owners:
            item.mapped.problems.append(_("No installed app records survey answers."))
