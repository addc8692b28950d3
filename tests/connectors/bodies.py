"""Bodies the project writes itself, one per helpdesk, shaped as each vendor sends them, so
that a lone clone (without the vendors' own bodies) still tests every connector."""

from datetime import UTC, datetime


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def zendesk(ticket: int, at: datetime, status: str = "open", channel: str = "email") -> dict:
    return {
        "type": "zen:event-type:ticket.status_changed",
        "id": f"evt-{ticket}-{status}-{at.timestamp()}",
        "time": _iso(at),
        "subject": f"zen:ticket:{ticket}",
        "zendesk_event_version": "2022-11-06",
        "detail": {
            "id": str(ticket), "requester_id": "501", "assignee_id": "77", "group_id": "9",
            "status": status.upper(), "priority": "HIGH", "type": "QUESTION",
            "via": {"channel": channel}, "tags": ["billing"],
            "created_at": _iso(at), "updated_at": _iso(at),
        },
        "event": {},
    }  # fmt: skip


def freshdesk(ticket: int, at: datetime, status: int = 2) -> dict:
    return {
        "event": "onTicketUpdate",
        "timestamp": int(at.timestamp() * 1000),
        "data": {
            "ticket": {
                "id": ticket, "requester_id": 31, "responder_id": 8, "group_id": 4,
                "status": status, "priority": 3, "source": 3, "type": "Refund",
                "created_at": _iso(at), "updated_at": _iso(at),
            },
            "requester": {"id": 31, "email": "ana@example.com", "language": "fr"},
        },
    }  # fmt: skip


def zammad(ticket: int, at: datetime, state: str = "open", article: str = "email") -> dict:
    return {
        "ticket": {
            "id": ticket, "number": f"3{ticket}", "customer_id": 12, "owner_id": 4,
            "group_id": 2, "group": {"id": 2, "name": "Users"}, "state": state,
            "priority": {"name": "3 high"}, "create_article_type": article,
            "create_article_sender": "Customer", "article_ids": [ticket * 10],
            "customer": {"id": 12, "email": "lea@example.com"},
            "created_at": _iso(at), "updated_at": _iso(at),
        },
        "article": {
            "id": ticket * 10, "ticket_id": ticket, "sender": "Customer", "type": article,
            "internal": False, "created_at": _iso(at),
        },
    }  # fmt: skip


def chatwoot(conversation: int, at: datetime, event: str = "conversation_opened") -> dict:
    return {
        "event": event,
        "id": conversation,
        "status": "resolved" if event == "conversation_resolved" else "open",
        "channel": "Channel::WebWidget",
        "created_at": int(at.timestamp()),
        "timestamp": int(at.timestamp()),
        "meta": {
            "sender": {"id": 55, "email": "tom@example.com", "type": "contact"},
            "assignee": {"id": 3, "name": "Sam", "type": "user"},
        },
        "messages": [],
    }


def generic(contact: int, at: datetime, channel: str = "phone") -> dict:
    return {
        "call": {
            "id": f"call-{contact}", "case": f"case-{contact}", "caller": "c-9",
            "line": channel, "topic": "delivery", "start": _iso(at), "pickup": _iso(at),
        },
    }  # fmt: skip


GENERIC_PATHS = {
    "contact_id": "call.id", "ticket_id": "call.case", "customer_id": "call.caller",
    "channel": "call.line", "reason": "call.topic", "started_at": "call.start",
    "answered_at": "call.pickup",
}  # fmt: skip

BUILDERS = {
    "zendesk": zendesk,
    "freshdesk": freshdesk,
    "zammad": zammad,
    "chatwoot": chatwoot,
    "generic": generic,
}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def zendesk_presence(agent: int, status: str, at: datetime) -> dict:
    """An agent availability event (`agent.unified_state_changed`), shaped as Zendesk's webhook
    event types documentation shows it."""
    return {
        "type": "zen:event-type:agent.unified_state_changed",
        "id": f"evt-agent-{agent}-{at.timestamp()}",
        "time": _iso(at),
        "subject": f"zen:agent:{agent}",
        "account_id": 9,
        "zendesk_event_version": "2022-11-06",
        "detail": {"account_id": "9", "agent_id": str(agent), "version": "2"},
        "event": {
            "new_unified_state": {"id": 7, "name": status},
            "previous_unified_state": {"id": 8, "name": "offline"},
            "updated_at": at.strftime("%Y-%m-%dT%H:%M:%S.%f789Z"),
        },
    }


def generic_presence(agent: str, status: str, start: datetime, end: datetime | None) -> dict:
    """A telephony system's agent status event, as a tool of its own shapes it."""
    return {
        "kind": "agent_status",
        "user": {"login": agent},
        "status": {"code": status, "from": _iso(start), "to": _iso(end) if end else None},
    }


# One source for the calls and the agents' statuses: the states' times are elsewhere.
GENERIC_STATE_PATHS = {
    **GENERIC_PATHS,
    "agent_id": "user.login", "state": "status.code", "state_started_at": "status.from",
    "state_ended_at": "status.to",
}  # fmt: skip
