"""The rows behind a figure: querysets of contacts, tickets and answers, filtered as asked.

Each subset is the very condition the KPI counts with (kpis.queries), so that a list holds the
rows its figure counted: the figure's n is the list's length.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from surveys.models import DETRACTOR_MAX, RepeatCause, Response, SurveyKind
from tickets.models import Channel, Contact, Direction, Ticket

from ..queries.backlog import AGE_BUCKETS
from ..queries.workload import answer_targets
from ..scope import zone
from ..sources import CONTACT_DIMENSIONS, TICKET_DIMENSIONS
from ..sources import RESPONSE_DIMENSIONS as ANSWER_DIMENSIONS
from .search import matching

# Lowest score of the top band of each scale (NPS promoters, CSAT 4-5, CES 6-7).
HIGH_MIN = {SurveyKind.NPS: 9, SurveyKind.CSAT: 4, SurveyKind.CES: 6}


def _period(field: str, start: date, end: date) -> Q:
    since = datetime.combine(start, time.min, tzinfo=zone())
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone())
    return Q(**{f"{field}__gte": since, f"{field}__lt": until})


def _segment(dimensions: dict[str, str], segment: dict[str, str]) -> Q:
    q = Q()
    for name, value in segment.items():
        q &= Q(**{f"{dimensions[name]}__in": [v for v in value.split(",") if v]})
    return q


def _yes(value: str, condition: Q) -> Q:
    """`condition` when asked "1", its negation when "0", nothing when not asked."""
    if value == "1":
        return condition
    if value == "0":
        return ~condition
    return Q()


def within_target(prefix: str = "") -> Q:
    """Answered within its channel's target (the condition of kpis.queries.workload)."""
    q = Q()
    for channel, seconds in answer_targets().items():
        q |= Q(
            **{
                f"{prefix}channel": channel,
                f"{prefix}answered_at__lte": F(f"{prefix}started_at") + timedelta(seconds=seconds),
            }
        )
    return q


def _target(value: str, prefix: str = "") -> Q:
    if value == "unanswered":
        return Q(**{f"{prefix}answered_at__isnull": True})
    if value == "met":
        return within_target(prefix)
    if value == "missed":
        return Q(**{f"{prefix}answered_at__isnull": False}) & ~within_target(prefix)
    return Q()


CAUSES = Prefetch(
    "repeat_causes", queryset=RepeatCause.objects.only("contact_id", "reporter", "code", "comment")
)
ANSWERS = Prefetch(
    "responses",
    queryset=Response.objects.only(
        "contact_id", "ticket_id", "kind", "score", "scale_max", "resolved", "comment"
    ).order_by("responded_at"),
)


def contact_list(params: dict[str, Any], start: date, end: date) -> QuerySet:
    segment = {k: params[k] for k in ("channel", "team", "agent", "reason") if params.get(k)}
    inbound = Q(direction=Direction.INBOUND)
    if params.get("cause"):
        # Causes are counted on the day they were given, as the repeat-cause KPI counts them.
        given = Q(code=params["cause"]) & _period("answered_at", start, end)
        if params.get("reporter"):
            given &= Q(reporter=params["reporter"])
        when = Q(pk__in=RepeatCause.objects.filter(given).values("contact_id"))
    else:
        when = _period("started_at", start, end)
    q = (
        when
        & _segment(CONTACT_DIMENSIONS, segment)
        & _yes(params.get("inbound", ""), inbound)
        & _yes(params.get("repeat", ""), inbound & Q(is_repeat=True))
        & _yes(params.get("followed", ""), inbound & Q(followed_in_window=True))
        & _yes(
            params.get("abandoned", ""),
            inbound & Q(channel=Channel.PHONE, answered_at__isnull=True),
        )
        & _yes(
            params.get("handled", ""),
            Q(agent__isnull=False, answered_at__isnull=False, handle_seconds__isnull=False),
        )
    )
    if params.get("target"):
        q &= inbound & _target(params["target"])
    order = {
        "started": ["started_at", "pk"],
        "-started": ["-started_at", "-pk"],
        "channel": ["channel", "-started_at"],
        "reason": ["reason", "-started_at"],
        "-handle": [F("handle_seconds").desc(nulls_last=True), "-started_at"],
        "-wait": [(F("answered_at") - F("started_at")).desc(nulls_last=True), "-started_at"],
    }[params.get("sort") or "-started"]
    return (
        Contact.objects.filter(q)
        .select_related("customer", "agent", "team", "ticket", "agent_rating")
        .prefetch_related(CAUSES, ANSWERS)
        .order_by(*order)
    )


def _age(name: str) -> Q:
    now = timezone.now()
    for bucket, _label, low, high in AGE_BUCKETS:
        if bucket == name:
            q = Q(created_at__lte=now - low)
            return q & Q(created_at__gt=now - high) if high is not None else q
    return Q()


def _exchanges(value: str, field: str) -> Q:
    if not value:
        return Q()
    if value == "4+":
        return Q(**{f"{field}__gte": 4})
    return Q(**{field: int(value)})


def ticket_list(params: dict[str, Any], start: date, end: date) -> QuerySet:
    segment = {k: params[k] for k in ("channel", "team", "agent", "reason") if params.get(k)}
    created = params.get("date") == "created" or params.get("open") == "1"
    with_inbound = Q(inbound_count__gte=1)
    q = (
        _period("created_at" if created else "solved_at", start, end)
        & _segment(TICKET_DIMENSIONS, segment)
        & _yes(params.get("open", ""), Q(solved_at__isnull=True))
        & _yes(params.get("inbound", ""), with_inbound)
        & _yes(params.get("fcr", ""), Q(inbound_count=1, recontact_in_window=False))
        & _yes(params.get("recontact", ""), with_inbound & Q(recontact_in_window=True))
        & _exchanges(params.get("exchanges", ""), "inbound_count")
        & _age(params.get("age", ""))
    )
    if not created:
        q &= Q(solved_at__isnull=False)
    if params.get("fcr"):  # FCR counts only tickets the customer reached us about
        q &= with_inbound
    default = "-created" if created else "-solved"
    order = {
        "solved": ["solved_at", "pk"],
        "-solved": ["-solved_at", "-pk"],
        "created": ["created_at", "pk"],
        "-created": ["-created_at", "-pk"],
        "-inbound": ["-inbound_count", "-pk"],
    }[params.get("sort") or default]
    return (
        Ticket.objects.filter(q)
        .select_related(
            "customer",
            "first_inbound_contact",
            "first_inbound_contact__agent",
            "first_inbound_contact__team",
        )
        .prefetch_related(ANSWERS)
        .order_by(*order)
    )


def _band(kind: str, band: str) -> Q:
    kinds = [kind] if kind else list(HIGH_MIN)
    q = Q()
    for k in kinds:
        if band == "low":
            q |= Q(kind=k, score__lte=DETRACTOR_MAX[k])
        elif band == "high":
            q |= Q(kind=k, score__gte=HIGH_MIN[k])
        else:
            q |= Q(kind=k, score__gt=DETRACTOR_MAX[k], score__lt=HIGH_MIN[k])
    return q


def answer_list(params: dict[str, Any], start: date, end: date) -> QuerySet:
    segment = {k: params[k] for k in ("channel", "team", "agent", "reason") if params.get(k)}
    kind = params.get("kind", "")
    nps = Q(kind=SurveyKind.NPS)
    q = (
        _period("responded_at", start, end)
        & _segment(ANSWER_DIMENSIONS, segment)
        & _yes(params.get("comment", ""), ~Q(comment=""))
        & _yes(params.get("promoter", ""), nps & Q(score__gte=9))
        & _yes(params.get("detractor", ""), nps & Q(score__lte=6))
        & _yes(params.get("good", ""), Q(kind=SurveyKind.CSAT, score__gte=4))
        & _exchanges(params.get("exchanges", ""), "ticket__inbound_count")
    )
    if kind:
        q &= Q(kind=kind)
    if params.get("band"):
        q &= _band(kind, params["band"])
    if params.get("resolved"):
        q &= Q(resolved=params["resolved"])
    if params.get("repeat"):
        is_repeat = params["repeat"] == "repeat"
        q &= Q(contact__direction=Direction.INBOUND, contact__is_repeat=is_repeat)
    if params.get("target"):
        q &= Q(contact__direction=Direction.INBOUND) & _target(params["target"], "contact__")
    if params.get("exchanges"):
        q &= Q(ticket__isnull=False)
    queryset = Response.objects.filter(q)
    if params.get("q"):
        queryset = matching(queryset, params["q"])
    order = {
        "responded": ["responded_at", "pk"],
        "-responded": ["-responded_at", "-pk"],
        "score": ["score", "-responded_at"],
        "-score": ["-score", "-responded_at"],
    }[params.get("sort") or "-responded"]
    return (
        queryset.select_related(
            "contact",
            "contact__customer",
            "contact__agent",
            "contact__team",
            "contact__agent_rating",
            "ticket",
        )
        .prefetch_related(Prefetch("contact__repeat_causes", queryset=CAUSES.queryset))
        .order_by(*order)
    )
