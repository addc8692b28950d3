"""Any other tool: the admin says where each field is in a body (`Source.field_paths`).

Paths are dotted (`data.ticket.id`, `events.0.at`). `items`, when set, is the path of a list of
objects, each read like a body; otherwise the body is one object. An object gives a ticket when
`ticket_id` is found, a contact when `contact_id` is, and, when it has neither, an agent's state
change when `state` is (with `agent_id`, `started_at` and an optional `ended_at`, as in
agent_states.csv; `state_started_at` and `state_ended_at`, when set, are read instead, for a
source whose states and contacts keep their times in different places); field names are the
REST API's. Channels, reasons, agents, groups, priorities
and agents' states go through the source's mappings; a value with no mapping is taken as it is
(a tool that already speaks Ecoute's codes needs none).
"""

from typing import Any

from django.utils.translation import gettext as _

from tickets.models import Channel

from .mapping import Mapped, Mapper, MappingKind, StateChange, Unmappable
from .values import dig, iso, parse_time, text_id

TICKET_FIELDS = ["ticket_id", "customer_id", "reason", "priority", "created_at", "solved_at"]
CONTACT_FIELDS = [
    "contact_id", "ticket_id", "customer_id", "channel", "reason", "agent_id", "team",
    "direction", "started_at", "answered_at", "ended_at", "handle_seconds", "do_not_survey",
    "customer_email", "customer_phone", "customer_language",
]  # fmt: skip
STATE_FIELDS = ["agent_id", "state", "state_started_at", "state_ended_at"]
PATH_NAMES = sorted({*TICKET_FIELDS, *CONTACT_FIELDS, *STATE_FIELDS, "items", "at"})
TIMES = {
    "created_at", "solved_at", "started_at", "answered_at", "ended_at", "state_started_at",
    "state_ended_at",
}  # fmt: skip


def parse(data: Any, mapper: Mapper) -> Mapped:
    paths = mapper.source.field_paths or {}
    if not any(paths.get(name) for name in ("ticket_id", "contact_id", "state")):
        raise Unmappable(
            _("The source's field paths name none of ticket_id, contact_id and state.")
        )
    items = dig(data, paths["items"]) if paths.get("items") else [data]
    if not isinstance(items, list):
        raise Unmappable(_("“%(path)s” is not a list in this body.") % {"path": paths["items"]})
    mapped = Mapped()
    for item in items:
        _item(item, paths, mapper, mapped)
    if mapped.empty:
        raise Unmappable(_("No ticket id, contact id or agent state at the configured paths."))
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
    raw = {name: _value(item, paths, name) for name in {*PATH_NAMES} - {"items"}}
    if not text_id(raw["ticket_id"]) and not text_id(raw["contact_id"]) and text_id(raw["state"]):
        _state(raw, mapper, mapped)
        return
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


def _state(raw: dict[str, Any], mapper: Mapper, mapped: Mapped) -> None:
    """An agent's state change; its state code is checked where states are written."""
    agent = mapper.agent(raw["agent_id"])
    started = parse_time(raw["state_started_at"] or raw["started_at"])
    if not agent or started is None:
        raise Unmappable(_("An agent's state needs agent_id and started_at."))
    state = mapper.mapped(MappingKind.STATE, raw["state"]) or text_id(raw["state"])
    ended = parse_time(raw["state_ended_at"] or raw["ended_at"])
    mapped.states.append(StateChange(agent, state, started, ended))
    at = parse_time(raw["at"]) or started
    mapped.at = max(filter(None, [mapped.at, at]))
