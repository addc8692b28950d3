"""Zammad: the default webhook payload of a trigger, `{"ticket": {...}, "article": {...}}`.

The ticket is one Ecoute ticket; the inbound contact that opened it takes the channel of its
first article (`create_article_type`). Each later article from the customer is one more inbound
contact; an agent's public article marks the ticket's contacts answered; internal notes are
left out. A phone article is a call someone took: its contact is answered when it starts. A
ticket is solved while its state is closed (the state names are mapped through the reasons'
neighbours: see `SOLVED`). Owner 1 is Zammad's "nobody".
"""

import re
from typing import Any

from django.utils.translation import gettext as _

from .mapping import Mapped, Mapper, Reply, Unmappable, required
from .values import dig, iso, listed, parse_time, text_id

CHANNELS = {
    "email": "email", "phone": "phone", "web": "web_form", "chat": "chat",
    "twitter status": "twitter", "twitter direct-message": "twitter",
    "facebook feed post": "facebook", "facebook feed comment": "facebook",
    "telegram personal-message": "chat", "whatsapp message": "chat",
}  # fmt: skip
PRIORITIES = {"1 low": "low", "low": "low", "2 normal": "normal", "normal": "normal",
              "3 high": "high", "high": "high"}  # fmt: skip
SOLVED = {"closed", "merged"}
NOBODY = "1"


def parse(data: Any, mapper: Mapper) -> Mapped:
    if not isinstance(data, dict) or not isinstance(data.get("ticket"), dict):
        raise Unmappable(_("This body has no Zammad ticket."))
    ticket = data["ticket"]
    article = data.get("article") if isinstance(data.get("article"), dict) else {}
    mapped = _ticket(ticket, mapper)
    if article:
        _article(article, ticket, mapper, mapped)
    return mapped


def _name(value: Any) -> str:
    return str(value.get("name", "")) if isinstance(value, dict) else text_id(value)


def _ticket(ticket: dict, mapper: Mapper) -> Mapped:
    ticket_id = mapper.ours(required(text_id(ticket.get("id")), _("ticket id")))
    customer = required(
        text_id(ticket.get("customer_id") or dig(ticket, "customer.id")), _("customer")
    )
    created = required(parse_time(ticket.get("created_at")), _("creation time"))
    updated = parse_time(ticket.get("updated_at")) or created
    state = _name(ticket.get("state")).casefold()
    solved_at = (parse_time(ticket.get("close_at")) or updated) if state in SOLVED else None
    owner = text_id(ticket.get("owner_id") or dig(ticket, "owner.id"))
    group = ticket.get("group") if isinstance(ticket.get("group"), dict) else {}
    priority = _name(ticket.get("priority"))
    reason = mapper.reason([*listed(ticket.get("tags")), ticket.get("type"), group.get("name")])
    person = ticket.get("customer") if isinstance(ticket.get("customer"), dict) else {}
    kind = text_id(ticket.get("create_article_type")).casefold()
    inbound = text_id(ticket.get("create_article_sender")).casefold() != "agent"
    mapped = Mapped(at=updated)
    mapped.tickets.append({
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "reason": reason,
        "priority": mapper.priority(PRIORITIES, re.sub(r"\s+", " ", priority.casefold())),
        "created_at": iso(created),
        "solved_at": iso(solved_at),
    })  # fmt: skip
    mapped.contacts.append({
        "contact_id": ticket_id,
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "channel": mapper.channel(CHANNELS, kind or "web"),
        "reason": reason,
        "agent_id": mapper.agent(owner, dig(ticket, "owner.login")) if owner != NOBODY else None,
        "team": mapper.team(ticket.get("group_id") or group.get("id"), group.get("name")),
        "direction": "inbound" if inbound else "outbound",
        "started_at": iso(created),
        "answered_at": iso(created if kind == "phone" else solved_at),
        "customer_email": str(person.get("email") or ""),
        "customer_phone": text_id(person.get("mobile") or person.get("phone"))[:32],
    })  # fmt: skip
    return mapped


def _article(article: dict, ticket: dict, mapper: Mapper, mapped: Mapped) -> None:
    if article.get("internal"):
        return
    at = required(parse_time(article.get("created_at")), _("article time"))
    ticket_id = mapped.tickets[0]["ticket_id"]
    sender = text_id(article.get("sender")).casefold()
    ids = [int(i) for i in ticket.get("article_ids") or [] if str(i).isdigit()]
    opening = bool(ids) and text_id(article.get("id")) == str(min(ids))
    if sender == "customer" and not opening:
        kind = text_id(article.get("type")).casefold()
        mapped.contacts.append({
            "contact_id": mapper.ours(f"a{text_id(article.get('id'))}"),
            "ticket_id": ticket_id,
            "customer_id": mapped.tickets[0]["customer_id"],
            "channel": mapper.channel(CHANNELS, kind),
            "reason": mapped.tickets[0]["reason"],
            "direction": "inbound",
            "started_at": iso(at),
            "answered_at": iso(at) if kind == "phone" else None,
        })  # fmt: skip
    elif sender == "agent":
        agent = mapper.agent(article.get("created_by_id"), dig(article, "created_by.login"))
        mapped.replies.append(Reply(ticket_id, at, agent))
