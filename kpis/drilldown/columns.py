"""What each row of a list shows, the same on the page and in its exports.

A column reads one row (a Contact, Ticket or Response with its related rows already fetched)
and gives a plain value: text with labels rather than codes, a number, a date-time, yes/no.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from surveys.models import RepeatCauseCode, Reporter, Resolution, SurveyKind
from tickets.labels import channel_label, reason_label


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    value: Callable[[Any], Any]
    kind: str = "text"  # text, number, datetime, bool, long (a comment: wraps on the page)


def _who(obj: Any) -> str:
    return str(obj) if obj is not None else ""


def _causes(contact: Any, reporter: str) -> str:
    if contact is None:
        return ""
    labels = []
    for cause in contact.repeat_causes.all():
        if cause.reporter == reporter:
            label = str(RepeatCauseCode(cause.code).label)
            labels.append(f"{label} ({cause.comment})" if cause.comment else label)
    return "; ".join(labels)


def _rating(contact: Any) -> int | None:
    rating = getattr(contact, "agent_rating", None) if contact is not None else None
    return rating.score if rating is not None else None


def _score(kind: str) -> Callable[[Any], int | None]:
    def read(row: Any) -> int | None:
        scores = [r.score for r in row.responses.all() if r.kind == kind]
        return scores[-1] if scores else None

    return read


def _resolved(answers: list[Any]) -> str:
    said = [a.resolved for a in answers if a.resolved]
    return str(Resolution(said[-1]).label) if said else ""


def _comments(answers: list[Any]) -> str:
    return " / ".join(a.comment for a in answers if a.comment)


def _wait(contact: Any) -> int | None:
    if contact.answered_at is None:
        return None
    return int((contact.answered_at - contact.started_at).total_seconds())


SCORES = [
    Column("nps", _("NPS score"), _score(SurveyKind.NPS), "number"),
    Column("csat", _("CSAT score"), _score(SurveyKind.CSAT), "number"),
    Column("ces", _("CES score"), _score(SurveyKind.CES), "number"),
]

CONTACT_COLUMNS = [
    Column("started", _("Started"), lambda c: c.started_at, "datetime"),
    Column("contact", _("Contact"), lambda c: c.external_id),
    Column("customer", _("Customer"), lambda c: c.customer.external_id),
    Column("channel", _("Channel"), lambda c: channel_label(c.channel)),
    Column("reason", _("Contact reason"), lambda c: reason_label(c.reason)),
    Column("agent", _("Agent"), lambda c: _who(c.agent)),
    Column("team", _("Team"), lambda c: _who(c.team)),
    Column("ticket", _("Ticket"), lambda c: c.ticket.external_id if c.ticket else ""),
    Column("wait", _("Wait (s)"), _wait, "number"),
    Column("handle", _("Handle time (s)"), lambda c: c.handle_seconds, "number"),
    Column("repeat", _("Repeat contact"), lambda c: c.is_repeat, "bool"),
    *SCORES,
    Column("rating", _("Agent's rating (1-5)"), _rating, "number"),
    Column("customer_cause", _("Customer's cause"), lambda c: _causes(c, Reporter.CUSTOMER)),
    Column("agent_cause", _("Agent's cause"), lambda c: _causes(c, Reporter.AGENT)),
    Column("resolved", _("Resolved, as the customer says"), lambda c: _resolved(c.responses.all())),
    Column("comment", _("Comment"), lambda c: _comments(c.responses.all()), "long"),
]


def _first(ticket: Any) -> Any:
    return ticket.first_inbound_contact


TICKET_COLUMNS = [
    Column("ticket", _("Ticket"), lambda t: t.external_id),
    Column("customer", _("Customer"), lambda t: t.customer.external_id),
    Column("reason", _("Contact reason"), lambda t: reason_label(t.reason)),
    Column("created", _("Created"), lambda t: t.created_at, "datetime"),
    Column("solved", _("Solved"), lambda t: t.solved_at, "datetime"),
    Column(
        "channel", _("Channel"), lambda t: channel_label(_first(t).channel) if _first(t) else ""
    ),
    Column("agent", _("Agent"), lambda t: _who(_first(t).agent) if _first(t) else ""),
    Column("team", _("Team"), lambda t: _who(_first(t).team) if _first(t) else ""),
    Column("inbound", _("Inbound contacts"), lambda t: t.inbound_count, "number"),
    Column(
        "fcr",
        _("Solved at first contact"),
        lambda t: t.inbound_count == 1 and not t.recontact_in_window if t.solved_at else None,
        "bool",
    ),
    Column("recontact", _("Customer came back"), lambda t: t.recontact_in_window, "bool"),
    *SCORES,
    Column("resolved", _("Resolved, as the customer says"), lambda t: _resolved(t.responses.all())),
    Column("comment", _("Comment"), lambda t: _comments(t.responses.all()), "long"),
]


def _contact(answer: Any, read: Callable[[Any], Any]) -> Any:
    return read(answer.contact) if answer.contact is not None else ""


ANSWER_COLUMNS = [
    Column("responded", _("Answered on"), lambda a: a.responded_at, "datetime"),
    Column("kind", _("Survey"), lambda a: str(SurveyKind(a.kind).label)),
    Column("score", _("Score"), lambda a: a.score, "number"),
    Column("customer", _("Customer"), lambda a: _contact(a, lambda c: c.customer.external_id)),
    Column("channel", _("Channel"), lambda a: _contact(a, lambda c: channel_label(c.channel))),
    Column("reason", _("Contact reason"), lambda a: _contact(a, lambda c: reason_label(c.reason))),
    Column("agent", _("Agent"), lambda a: _contact(a, lambda c: _who(c.agent))),
    Column("team", _("Team"), lambda a: _contact(a, lambda c: _who(c.team))),
    Column("ticket", _("Ticket"), lambda a: a.ticket.external_id if a.ticket else ""),
    Column(
        "resolved",
        _("Resolved, as the customer says"),
        lambda a: str(Resolution(a.resolved).label) if a.resolved else "",
    ),
    Column("rating", _("Agent's rating (1-5)"), lambda a: _rating(a.contact), "number"),
    Column("customer_cause", _("Customer's cause"), lambda a: _causes(a.contact, "customer")),
    Column("agent_cause", _("Agent's cause"), lambda a: _causes(a.contact, "agent")),
    Column("comment", _("Comment"), lambda a: a.comment, "long"),
]


def _leading(columns: list[Column], keys: tuple[str, ...]) -> list[Column]:
    """The same columns with `keys` first, in that order: what a list is read for."""
    lead = [next(c for c in columns if c.key == key) for key in keys]
    return lead + [c for c in columns if c.key not in keys]


# The comments view is read for the customers' words: they come right after the score.
COMMENT_COLUMNS = _leading(ANSWER_COLUMNS, ("responded", "kind", "score", "comment"))
