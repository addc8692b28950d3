"""Zendesk: ticket event webhooks, the incremental ticket export, ticket metric events and
satisfaction ratings (legacy good/bad ratings and the newer CSAT survey responses).

A ticket is one Ecoute ticket and one inbound contact (the request that opened it), both keyed
by the ticket's id. Its reason is the first of its tags, type and custom field values that a
reason mapping names. It is solved while its status is solved or closed. The first reply (a
`reply_time` metric event, or the export's metric set) marks the contact answered. A good
rating is a CSAT 5 and a bad one a CSAT 1, so that Ecoute's CSAT equals Zendesk's score.

An agent's unified status change (`agent.unified_state_changed`, an agent availability event)
is an agent's state from the event's time, running until their next one: offline is logged
out, online available, away a break, transfers only logged in (not taking new work). A custom
status needs a mapping (agent status to agent state) naming its Ecoute state. The per-channel
statuses and work items are not presence as Ecoute counts it and are left out.
"""

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from .mapping import Mapped, Mapper, Rating, Reply, StateChange, Unmappable, required
from .values import dig, iso, listed, parse_time, text_id

CHANNELS = {
    "email": "email", "web": "web_form", "web_form": "web_form", "web_widget": "web_form",
    "help_center": "web_form", "mobile": "web_form", "mobile_sdk": "web_form",
    "api": "web_form", "web_service": "web_form", "forum": "web_form", "voice": "phone",
    "phone": "phone", "chat": "chat", "native_messaging": "chat", "messaging": "chat",
    "twitter": "twitter", "facebook": "facebook",
}  # fmt: skip
PRIORITIES = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}
SOLVED = {"solved", "closed"}
LEGACY_SCORES = {"good": 5, "bad": 1}
# Zendesk's default unified statuses, by name (ids differ between accounts' examples), and the
# state each is in Ecoute.
UNIFIED_STATES = {
    "offline": "logged_out", "online": "available", "away": "break",
    "transfers_only": "logged_in", "transfers only": "logged_in",
}  # fmt: skip
PRESENCE = "zen:event-type:agent.unified_state_changed"


def parse(data: Any, mapper: Mapper) -> Mapped:
    if isinstance(data, dict):
        kind = str(data.get("type", ""))
        if kind.startswith("zen:event-type:ticket."):
            return _event(data, mapper)
        if kind == PRESENCE:
            return _presence(data, mapper)
        if kind.startswith("zen:event-type:"):
            return Mapped(note=_("A Zendesk event other than a ticket's: nothing to record."))
        if isinstance(data.get("tickets"), list):
            return _export(data, mapper)
        if isinstance(data.get("ticket"), dict):
            return _tickets([data["ticket"]], mapper, {})
        if isinstance(data.get("ticket_metric_events"), list):
            return _metric_events(data["ticket_metric_events"], mapper)
        if isinstance(data.get("satisfaction_ratings"), list):
            return _legacy_ratings(data["satisfaction_ratings"], mapper)
        if "score" in data and "ticket_id" in data:
            return _legacy_ratings([data], mapper)
        if isinstance(data.get("survey_responses"), list):
            return _survey_responses(data["survey_responses"], mapper)
        if isinstance(data.get("answers"), list) and "subjects" in data:
            return _survey_responses([data], mapper)
        if isinstance(data.get("survey_response"), dict):
            return Mapped(note=_("A survey answer that names no ticket: nothing to record."))
    raise Unmappable(_("This body is not one Zendesk sends (no ticket event, export or rating)."))


def _event(data: dict, mapper: Mapper) -> Mapped:
    detail = data.get("detail")
    if not isinstance(detail, dict):
        raise Unmappable(_("The Zendesk event has no ticket detail."))
    mapped = _tickets([detail], mapper, {})
    mapped.at = parse_time(data.get("time")) or mapped.at
    return mapped


def _presence(data: dict, mapper: Mapper) -> Mapped:
    detail = _object(data.get("detail"))
    event = _object(data.get("event"))
    status = _object(event.get("new_unified_state"))
    agent = mapper.agent(required(text_id(detail.get("agent_id")), _("agent id")))
    state = mapper.state(UNIFIED_STATES, status.get("name"), status.get("id"))
    at = required(
        parse_time(event.get("updated_at")) or parse_time(data.get("time")),
        _("time of the status change"),
    )
    assert agent is not None
    mapped = Mapped(at=at)
    mapped.states.append(StateChange(agent, state, at))
    return mapped


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _export(data: dict, mapper: Mapper) -> Mapped:
    metric_sets = {
        text_id(m.get("ticket_id")): m for m in data.get("metric_sets") or [] if isinstance(m, dict)
    }
    users = {text_id(u.get("id")): u for u in data.get("users") or [] if isinstance(u, dict)}
    mapped = _tickets(
        [t for t in data["tickets"] if isinstance(t, dict)], mapper, metric_sets, users
    )
    for ticket in data["tickets"]:
        rating = ticket.get("satisfaction_rating") if isinstance(ticket, dict) else None
        score = LEGACY_SCORES.get(str((rating or {}).get("score", "")).lower())
        if score and text_id(rating.get("id")):
            mapped.ratings.append(
                Rating(
                    response_id=mapper.ours(f"csat-{text_id(rating['id'])}"),
                    ticket_id=mapper.ours(ticket.get("id")),
                    score=score,
                    responded_at=parse_time(ticket.get("updated_at")),
                    comment=str(rating.get("comment") or ""),
                )
            )
    if not mapped.tickets and not mapped.ratings:
        mapped.note = _("An export page without tickets.")
    return mapped


def _tickets(
    tickets: list[dict], mapper: Mapper, metric_sets: dict[str, dict], users: dict | None = None
) -> Mapped:
    mapped = Mapped()
    for ticket in tickets:
        _ticket(ticket, mapper, metric_sets.get(text_id(ticket.get("id"))), users or {}, mapped)
    return mapped


def _ticket(ticket: dict, mapper: Mapper, metrics: dict | None, users: dict, mapped: Mapped):
    ticket_id = mapper.ours(required(text_id(ticket.get("id")), _("ticket id")))
    requester = text_id(required(ticket.get("requester_id"), _("requester")))
    created = required(parse_time(ticket.get("created_at")), _("creation time"))
    updated = parse_time(ticket.get("updated_at")) or created
    solved = str(ticket.get("status", "")).lower() in SOLVED
    solved_at = (parse_time(dig(metrics, "solved_at")) or updated) if solved else None
    reply_minutes = dig(metrics, "reply_time_in_minutes.calendar")
    answered = created + timedelta(minutes=reply_minutes) if reply_minutes else solved_at
    custom = [f.get("value") for f in ticket.get("custom_fields") or [] if isinstance(f, dict)]
    reason = mapper.reason([*listed(ticket.get("tags")), ticket.get("type"), *custom])
    user = users.get(requester, {})
    mapped.tickets.append({
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(requester),
        "reason": reason,
        "priority": mapper.priority(PRIORITIES, ticket.get("priority")),
        "created_at": iso(created),
        "solved_at": iso(solved_at),
    })  # fmt: skip
    mapped.contacts.append({
        "contact_id": ticket_id,
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(requester),
        "channel": mapper.channel(CHANNELS, dig(ticket, "via.channel")),
        "reason": reason,
        "agent_id": mapper.agent(ticket.get("assignee_id")),
        "team": mapper.team(ticket.get("group_id")),
        "direction": "inbound",
        "started_at": iso(created),
        "answered_at": iso(answered),
        "customer_email": str(user.get("email") or ""),
        "customer_phone": text_id(user.get("phone"))[:32],
        "customer_language": str(user.get("locale") or "")[:2].lower(),
    })  # fmt: skip
    mapped.at = max(filter(None, [mapped.at, updated]))


def _metric_events(events: list, mapper: Mapper) -> Mapped:
    mapped = Mapped()
    for event in events:
        if not isinstance(event, dict):
            continue
        # The first reply (instance 1) fulfils the reply time: the contact was answered then.
        if event.get("metric") == "reply_time" and event.get("type") == "fulfill":
            at = required(parse_time(event.get("time")), _("event time"))
            ticket = required(text_id(event.get("ticket_id")), _("ticket id"))
            mapped.replies.append(Reply(mapper.ours(ticket), at))
    if not mapped.replies:
        mapped.note = _("No first reply among these metric events: nothing to record.")
    return mapped


def _legacy_ratings(ratings: list, mapper: Mapper) -> Mapped:
    mapped = Mapped()
    for rating in ratings:
        score = LEGACY_SCORES.get(str(rating.get("score", "")).lower())
        if not score:
            continue  # offered or unoffered: the customer has not answered
        mapped.ratings.append(
            Rating(
                response_id=mapper.ours(f"csat-{required(text_id(rating.get('id')), 'id')}"),
                ticket_id=mapper.ours(required(text_id(rating.get("ticket_id")), "ticket_id")),
                score=score,
                responded_at=required(
                    parse_time(rating.get("updated_at") or rating.get("created_at")), "created_at"
                ),
                comment=str(rating.get("comment") or ""),
            )
        )
    if not mapped.ratings:
        mapped.note = _("No answered rating: nothing to record.")
    return mapped


def _survey_responses(responses: list, mapper: Mapper) -> Mapped:
    mapped = Mapped()
    for response in responses:
        tickets = [s for s in response.get("subjects") or [] if s.get("type") == "ticket"]
        answers = [a for a in response.get("answers") or [] if isinstance(a, dict)]
        rated = [a for a in answers if a.get("type") == "rating_scale" and a.get("rating")]
        if not tickets or not rated:
            continue  # skipped, or about something else than a ticket
        score = int(rated[0]["rating"])
        if not 1 <= score <= 5:
            raise Unmappable(_("A rating of %(score)s is not on a 1-5 scale.") % {"score": score})
        comments = [
            str(a["value"]) for a in answers if a.get("type") == "open_ended" and a.get("value")
        ]
        mapped.ratings.append(
            Rating(
                response_id=mapper.ours(f"csat-{text_id(response.get('id'))}"),
                ticket_id=mapper.ours(text_id(tickets[0].get("id"))),
                score=score,
                responded_at=required(
                    parse_time(rated[0].get("updated_at") or rated[0].get("created_at")),
                    _("answer time"),
                ),
                comment="\n".join(comments),
            )
        )
    if not mapped.ratings:
        mapped.note = _("No rated answer about a ticket: nothing to record.")
    return mapped
