"""Freshdesk: ticket and conversation events, and satisfaction ratings.

Bodies have the shape of Freshdesk's product events (`{"event": "onTicketCreate", "data":
{"ticket": ..., "requester": ...}}`), which a Freshworks app receives and an automation's
webhook can send (the README gives the body to paste). Status, priority and source come as
Freshdesk's numbers or as their names. A ticket is one Ecoute ticket and the inbound contact
that opened it; a customer's reply (an incoming conversation) is one more inbound contact; an
agent's public reply marks the ticket's contacts answered. Satisfaction ratings (the classic
scale, 103 "extremely happy" to -103 "extremely unhappy") become CSAT answers: 103 and 102 are
5, 101 is 4, 100 is 3, -101 is 2, -102 and -103 are 1.
"""

from typing import Any

from django.utils.translation import gettext as _

from .mapping import Mapped, Mapper, Rating, Reply, Unmappable, required
from .values import iso, listed, parse_time, text_id

SOURCES = {
    "1": "email", "email": "email", "2": "web_form", "portal": "web_form", "3": "phone",
    "phone": "phone", "4": "web_form", "forum": "web_form", "5": "twitter", "twitter": "twitter",
    "6": "facebook", "facebook": "facebook", "7": "chat", "chat": "chat", "8": "chat",
    "mobihelp": "chat", "9": "web_form", "feedback widget": "web_form", "10": "email",
    "outbound email": "email",
}  # fmt: skip
OUTBOUND_SOURCES = {"10", "outbound email"}
PRIORITIES = {
    "1": "low", "low": "low", "2": "normal", "medium": "normal", "3": "high", "high": "high",
    "4": "urgent", "urgent": "urgent",
}  # fmt: skip
SOLVED = {"4", "5", "resolved", "closed"}
RATINGS = {103: 5, 102: 5, 101: 4, 100: 3, -101: 2, -102: 1, -103: 1}


def parse(data: Any, mapper: Mapper) -> Mapped:
    if isinstance(data, list):
        return _ratings(data, mapper)
    if isinstance(data, dict):
        event = str(data.get("event", ""))
        body = data.get("data") if isinstance(data.get("data"), dict) else {}
        at = parse_time(data.get("timestamp")) if data.get("timestamp") else None
        if isinstance(body.get("ticket"), dict):
            mapped = _ticket(body["ticket"], body.get("requester") or {}, mapper, at)
        elif isinstance(body.get("conversation"), dict):
            mapped = _conversation(body["conversation"], mapper)
        elif event.startswith("onContact") or "contact" in body:
            return Mapped(note=_("A person's details alone: recorded with their first ticket."))
        elif isinstance(data.get("satisfaction_ratings"), list):
            return _ratings(data["satisfaction_ratings"], mapper)
        else:
            raise Unmappable(_("This body has no Freshdesk ticket, conversation or rating."))
        mapped.at = at or mapped.at
        return mapped
    raise Unmappable(_("This body has no Freshdesk ticket, conversation or rating."))


def _ticket(ticket: dict, requester: dict, mapper: Mapper, at) -> Mapped:
    ticket_id = mapper.ours(required(text_id(ticket.get("id")), _("ticket id")))
    customer = text_id(required(ticket.get("requester_id") or requester.get("id"), _("requester")))
    # An automation's body may carry no times: the event's, when it has one, stands in.
    created = required(parse_time(ticket.get("created_at")) or at, _("creation time"))
    updated = parse_time(ticket.get("updated_at")) or created
    stats = ticket.get("stats") if isinstance(ticket.get("stats"), dict) else {}
    solved = text_id(ticket.get("status")).casefold() in SOLVED
    solved_at = None
    if solved:
        solved_at = parse_time(stats.get("resolved_at") or stats.get("closed_at")) or at or updated
    source = text_id(ticket.get("source")).casefold()
    reason = mapper.reason([*listed(ticket.get("tags")), ticket.get("type")])
    # The requester's details only when they are this ticket's requester's.
    own = text_id(requester.get("id")) == customer
    mapped = Mapped(at=updated)
    mapped.tickets.append({
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "reason": reason,
        "priority": mapper.priority(PRIORITIES, ticket.get("priority")),
        "created_at": iso(created),
        "solved_at": iso(solved_at),
    })  # fmt: skip
    first_response = parse_time(stats.get("first_responded_at"))
    mapped.contacts.append({
        "contact_id": ticket_id,
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "channel": mapper.channel(SOURCES, ticket.get("source")),
        "reason": reason,
        "agent_id": mapper.agent(ticket.get("responder_id")),
        "team": mapper.team(ticket.get("group_id")),
        "direction": "outbound" if source in OUTBOUND_SOURCES else "inbound",
        "started_at": iso(created),
        "answered_at": iso(first_response or solved_at),
        "customer_email": str(requester.get("email") or "") if own else "",
        "customer_phone": text_id(requester.get("mobile") or requester.get("phone"))[:32]
        if own
        else "",
        "customer_language": str(requester.get("language") or "")[:2].lower() if own else "",
    })  # fmt: skip
    return mapped


def _conversation(conversation: dict, mapper: Mapper) -> Mapped:
    ticket = mapper.ours(required(text_id(conversation.get("ticket_id")), _("ticket id")))
    at = required(parse_time(conversation.get("created_at")), _("creation time"))
    if conversation.get("private"):
        return Mapped(at=at, note=_("A private note: nothing to record."))
    if conversation.get("incoming"):
        # The customer wrote again on the ticket: one more inbound contact, on the ticket's
        # channel and reason.
        contact = {
            "contact_id": mapper.ours(f"c{text_id(conversation.get('id'))}"),
            "ticket_id": ticket,
            "customer_id": mapper.ours(conversation.get("user_id")) or None,
            "channel": None,
            "reason": None,
            "direction": "inbound",
            "started_at": iso(at),
        }
        return Mapped(contacts=[contact], at=at)
    agent = mapper.agent(conversation.get("user_id"))
    return Mapped(replies=[Reply(ticket, at, agent)], at=at)


def _ratings(ratings: list, mapper: Mapper) -> Mapped:
    mapped = Mapped()
    problems = []
    for rating in ratings:
        if not isinstance(rating, dict):
            continue
        value = (rating.get("ratings") or {}).get("default_question")
        score = RATINGS.get(value) if isinstance(value, int) else None
        try:
            responded_at = parse_time(rating.get("created_at"))
        except ValueError:
            responded_at = None
        if score is None or responded_at is None:
            problems.append(
                _("rating %(id)s: %(why)s")
                % {
                    "id": text_id(rating.get("id")),
                    "why": _("unreadable time “%(value)s”") % {"value": rating.get("created_at")}
                    if score is not None
                    else _("no score on the classic scale"),
                }
            )
            continue
        mapped.ratings.append(
            Rating(
                response_id=mapper.ours(f"csat-{required(text_id(rating.get('id')), 'id')}"),
                ticket_id=mapper.ours(required(text_id(rating.get("ticket_id")), "ticket_id")),
                score=score,
                responded_at=responded_at,
                comment=str(rating.get("feedback") or ""),
            )
        )
    # The readable ratings are kept; the others are listed with the body.
    mapped.problems = problems
    if not mapped.ratings and not problems:
        mapped.note = _("No rating: nothing to record.")
    return mapped
