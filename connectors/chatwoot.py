"""Chatwoot: conversation opened, status changed, resolved, and messages created or updated.

A conversation is one Ecoute ticket and one inbound contact, keyed by the conversation's id, on
the channel of its inbox (a web widget is a chat). It is solved when resolved: the event
`conversation_resolved` says so whatever the body's status (older Chatwoots send "open" there).
An agent's public message marks the contact answered; the customer's messages belong to the
same contact. The conversation's labels are its reason candidates.

Chatwoot is also where survey links go back (connectors.delivery).
"""

from typing import Any

from django.utils.translation import gettext as _

from .mapping import Mapped, Mapper, Reply, Unmappable, required
from .values import dig, earliest, iso, listed, parse_time, text_id

CHANNELS = {
    "channel::webwidget": "chat", "channel::api": "chat", "channel::email": "email",
    "channel::facebookpage": "facebook", "channel::instagram": "facebook",
    "channel::twitterprofile": "twitter", "channel::whatsapp": "chat",
    "channel::telegram": "chat", "channel::line": "chat",
}  # fmt: skip
CONVERSATION_EVENTS = {
    "conversation_created", "conversation_opened", "conversation_status_changed",
    "conversation_resolved", "conversation_updated",
}  # fmt: skip
MESSAGE_EVENTS = {"message_created", "message_updated"}


def parse(data: Any, mapper: Mapper) -> Mapped:
    if not isinstance(data, dict):
        raise Unmappable(_("This body is not one Chatwoot sends."))
    event = str(data.get("event", ""))
    at = parse_time(data.get("timestamp")) if data.get("timestamp") else None
    if event in CONVERSATION_EVENTS:
        return _conversation(data, mapper, at or parse_time(data.get("updated_at")), event)
    if event in MESSAGE_EVENTS:
        return _message(data, mapper)
    if event:
        return Mapped(
            note=_("The Chatwoot event “%(event)s” has nothing to record.") % {"event": event}
        )
    raise Unmappable(_("This body names no Chatwoot event."))


def _started(conversation: dict) -> Any:
    if conversation.get("created_at"):
        return parse_time(conversation["created_at"])
    initiated = dig(conversation, "additional_attributes.initiated_at.timestamp")
    try:
        started = parse_time(initiated) if initiated else None
    except ValueError:
        started = None
    messages = conversation.get("messages") or []
    return started or earliest(parse_time(m.get("created_at")) for m in messages)


def _conversation(conversation: dict, mapper: Mapper, at: Any, event: str) -> Mapped:
    ticket_id = mapper.ours(required(text_id(conversation.get("id")), _("conversation id")))
    sender = dig(conversation, "meta.sender") or {}
    customer = required(
        text_id(sender.get("id") or dig(conversation, "contact_inbox.contact_id")), _("contact")
    )
    started = required(_started(conversation) or at, _("start time"))
    resolved = event == "conversation_resolved" or conversation.get("status") == "resolved"
    solved_at = (at or started) if resolved else None
    assignee = dig(conversation, "meta.assignee.id")
    reason = mapper.reason(listed(conversation.get("labels")))
    first_reply = (
        parse_time(conversation.get("first_reply_created_at"))
        if conversation.get("first_reply_created_at")
        else None
    )
    mapped = Mapped(at=at)
    mapped.tickets.append({
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "reason": reason,
        "priority": "normal",
        "created_at": iso(started),
        "solved_at": iso(solved_at),
    })  # fmt: skip
    mapped.contacts.append({
        "contact_id": ticket_id,
        "ticket_id": ticket_id,
        "customer_id": mapper.ours(customer),
        "channel": mapper.channel(CHANNELS, conversation.get("channel")),
        "reason": reason,
        "agent_id": mapper.agent(assignee, dig(conversation, "meta.assignee.email")),
        "team": mapper.team(dig(conversation, "meta.team.id"), dig(conversation, "meta.team.name")),
        "direction": "inbound",
        "started_at": iso(started),
        "answered_at": iso(first_reply or solved_at),
        "customer_email": str(sender.get("email") or ""),
        "customer_phone": text_id(sender.get("phone_number"))[:32],
    })  # fmt: skip
    return mapped


def _message(message: dict, mapper: Mapper) -> Mapped:
    conversation = message.get("conversation")
    if not isinstance(conversation, dict):
        raise Unmappable(_("The message names no conversation."))
    at = required(parse_time(message.get("created_at")), _("message time"))
    mapped = _conversation(conversation, mapper, parse_time(conversation.get("timestamp")), "")
    kind = message.get("message_type")
    from_agent = dig(message, "sender.type") == "user"
    if kind in ("outgoing", 1) and from_agent and not message.get("private"):
        agent = mapper.agent(dig(message, "sender.id"), dig(message, "sender.email"))
        mapped.replies.append(Reply(mapped.tickets[0]["ticket_id"], at, agent))
    mapped.at = at
    return mapped
