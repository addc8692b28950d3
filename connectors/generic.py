"""Any other tool: the admin says where each field is in a body (`Source.field_paths`).

Paths are dotted (`data.ticket.id`, `events.0.at`). `items`, when set, is the path of a list of
objects, each read like a body; otherwise the body is one object. An object gives a ticket when
`ticket_id` is found, a contact when `contact_id` is; field names are the REST API's. Channels,
reasons, agents, groups and priorities go through the source's mappings; a value with no mapping
is taken as it is (a tool that already speaks Ecoute's codes needs none).
"""

from typing import Any

from django.utils.translation import gettext as _

from tickets.models import Channel

from .mapping import Mapped, Mapper, MappingKind, Unmappable
from .values import dig, iso, parse_time, text_id

TICKET_FIELDS = ["ticket_id", "customer_id", "reason", "priority", "created_at", "solved_at"]
CONTACT_FIELDS = [
    "contact_id", "ticket_id", "customer_id", "channel", "reason", "agent_id", "team",
    "direction", "started_at", "answered_at", "ended_at", "handle_seconds", "do_not_survey",
    "customer_email", "customer_phone", "customer_language",
]  # fmt: skip
PATH_NAMES = sorted({*TICKET_FIELDS, *CONTACT_FIELDS, "items", "at"})
TIMES = {"created_at", "solved_at", "started_at", "answered_at", "ended_at"}


def parse(data: Any, mapper: Mapper) -> Mapped:
    paths = mapper.source.field_paths or {}
    if not paths.get("ticket_id") and not paths.get("contact_id"):
        raise Unmappable(_("The source's field paths name neither ticket_id nor contact_id."))
    items = dig(data, paths["items"]) if paths.get("items") else [data]
    if not isinstance(items, list):
        raise Unmappable(_("“%(path)s” is not a list in this body.") % {"path": paths["items"]})
    mapped = Mapped()
    for item in items:
        _item(item, paths, mapper, mapped)
    if mapped.empty:
        raise Unmappable(_("No ticket or contact id at the configured paths."))
    return mapped


def _value(item: Any, paths: dict, name: str) -> Any:
    path = paths.get(name)
    value = dig(item, path) if path else None
    if name in TIMES and value not in (None, ""):
        try:
            return iso(parse_time(value))
        except ValueError as exc:
            raise Unmappable(_("%(field)s: %(error)s") % {"field": name, "error": exc}) from exc
    return value


def _item(item: Any, paths: dict, mapper: Mapper, mapped: Mapped) -> None:
    raw = {name: _value(item, paths, name) for name in {*TICKET_FIELDS, *CONTACT_FIELDS, "at"}}
    reason = mapper.mapped(MappingKind.REASON, raw["reason"]) or text_id(raw["reason"])
    reason = reason or mapper.reason([])
    at = raw["at"] or raw["solved_at"] or raw["answered_at"] or raw["started_at"]
    mapped.at = max(filter(None, [mapped.at, parse_time(at)])) if at else mapped.at
    ticket = mapper.ours(raw["ticket_id"])
    customer = mapper.ours(raw["customer_id"])
    if ticket and (raw["created_at"] or raw["started_at"]):
        mapped.tickets.append({
            "ticket_id": ticket,
            "customer_id": customer,
            "reason": reason,
            "priority": mapper.priority({}, raw["priority"]) if raw["priority"] else "normal",
            "created_at": raw["created_at"] or raw["started_at"],
            "solved_at": raw["solved_at"],
        })  # fmt: skip
    if text_id(raw["contact_id"]):
        channels = {c: c for c in Channel.values}
        mapped.contacts.append({
            "contact_id": mapper.ours(raw["contact_id"]),
            "ticket_id": ticket or None,
            "customer_id": customer,
            "channel": mapper.channel(channels, raw["channel"]),
            "reason": reason,
            "agent_id": mapper.agent(raw["agent_id"]),
            "team": mapper.team(raw["team"]),
            "direction": text_id(raw["direction"]) or "inbound",
            "started_at": raw["started_at"],
            "answered_at": raw["answered_at"],
            "ended_at": raw["ended_at"],
            "handle_seconds": raw["handle_seconds"],
            "do_not_survey": bool(raw["do_not_survey"]),
            "customer_email": text_id(raw["customer_email"]),
            "customer_phone": text_id(raw["customer_phone"]),
            "customer_language": text_id(raw["customer_language"]),
        })  # fmt: skip
