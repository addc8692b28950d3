"""The full KPI report: every section of the reference's expected.json, same names and columns.

A section is one KPI for one cut (overall, by month, by channel...). The reference's columns
come first, in its order; the extra ones (confidence intervals, low-sample flags) follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count

from surveys.models import AgentRating, RepeatCause, Response
from tickets.models import Contact, Ticket

from .queries import KPIS
from .queries.base import Table
from .scope import Scope


@dataclass(frozen=True)
class Section:
    name: str
    kpi: str
    by: str = ""  # granularity and dimensions, as on the command line
    lead: tuple[str, ...] = ()  # the reference's columns, in its order


SAT = ("nps_n", "nps", "csat_n", "csat_pct", "ces_n", "ces_mean")
FCR_SHORT = ("solved_with_inbound", "fcr", "fcr_pct", "recontact_7d_pct")
REPEAT = ("inbound_contacts", "followed_7d", "repeat_rate_pct")
PHONE = ("offered", "answered", "abandoned", "answer_rate_pct", "abandonment_rate_pct")
EXCHANGES = ("solved", "inbound_contacts", "avg_inbound_contacts")

SECTIONS = [
    Section("satisfaction_overall", "satisfaction", "", SAT),
    Section("satisfaction_by_month", "satisfaction", "month", ("month", *SAT)),
    Section("satisfaction_by_channel", "satisfaction", "channel", ("channel", *SAT)),
    Section("satisfaction_by_agent", "satisfaction", "agent", ("agent_id", *SAT)),
    Section(
        "fcr_overall",
        "fcr",
        "",
        (
            "solved",
            "solved_no_inbound",
            "solved_with_inbound",
            "single_inbound",
            "fcr",
            "fcr_pct",
            "fcr_pct_all_solved",
            "recontact_7d_pct",
        ),
    ),
    Section("fcr_by_month", "fcr", "month", ("month", "solved", *FCR_SHORT)),
    Section("fcr_by_channel", "fcr", "channel", ("channel", *FCR_SHORT)),
    Section("exchanges_overall", "exchanges", "", EXCHANGES),
    Section("exchanges_by_month", "exchanges", "month", ("month", *EXCHANGES)),
    Section("repeat_overall", "repeat", "", (*REPEAT, "repeat_contacts")),
    Section("repeat_by_month", "repeat", "month", ("month", *REPEAT)),
    Section("repeat_by_channel", "repeat", "channel", ("channel", *REPEAT)),
    Section("repeat_causes", "repeat_causes", "", ("reason_code", "n", "pct", "on_repeat_contact")),
    Section(
        "aht_by_channel", "aht", "channel", ("channel", "handled", "handle_seconds", "aht_seconds")
    ),
    Section("phone_answer_overall", "phone_answer", "", PHONE),
    Section("phone_answer_by_month", "phone_answer", "month", ("month", *PHONE)),
    Section("backlog_by_creation_month", "backlog", "month", ("month", "open_tickets")),
    Section(
        "csat_gap_by_agent",
        "perception_gap",
        "agent",
        (
            "agent_id",
            "agent_n",
            "agent_csat_pct",
            "agent_mean",
            "customer_n",
            "customer_csat_pct",
            "customer_mean",
            "gap_pct",
            "gap_mean",
        ),
    ),
]


def meta_counts(scope: Scope) -> Table:
    """Rows of each kind of history in the period (each by its own date)."""
    sources = [
        ("agent_ratings", AgentRating.objects, "rated_at"),
        ("contacts", Contact.objects, "started_at"),
        ("repeat_reasons", RepeatCause.objects, "answered_at"),
        ("responses", Response.objects, "responded_at"),
        ("tickets", Ticket.objects, "created_at"),
    ]
    rows: list[list[Any]] = []
    for name, manager, field in sources:
        n = manager.filter(**{f"{field}__gte": scope.since, f"{field}__lt": scope.until}).aggregate(
            n=Count("id")
        )["n"]
        rows.append([name, n])
    return Table(columns=["table_name", "n"], rows=rows, keys=1)


def build_report(
    start: date,
    end: date,
    by: str | None = None,
    kpis: Iterable[str] | None = None,
    filters: dict[str, str] | None = None,
) -> dict[str, Table]:
    """Every section, as {name: Table}. With `by`, each KPI once, cut that way instead."""
    chosen = set(kpis) if kpis else None
    report: dict[str, Table] = {}
    if by is None:
        if chosen is None or "meta_counts" in chosen:
            report["meta_counts"] = meta_counts(Scope(start, end, filters=filters or {}))
        for section in SECTIONS:
            if chosen is not None and section.kpi not in chosen:
                continue
            scope = Scope.parse(start.isoformat(), end.isoformat(), section.by, filters=filters)
            report[section.name] = KPIS[section.kpi](scope).reordered(section.lead)
        return report
    scope = Scope.parse(start.isoformat(), end.isoformat(), by, filters=filters)
    suffix = "_by_" + "_".join(n.strip() for n in by.split(",") if n.strip()) if by else ""
    for name, kpi in KPIS.items():
        if chosen is None or name in chosen:
            report[name + (suffix or "_overall")] = kpi(scope)
    return report


def plain(value: Any, column: str) -> Any:
    """A value as the reference writes it: ISO dates, all-digit agent ids as numbers."""
    if isinstance(value, date):
        return value.isoformat()
    if column == "agent_id" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def report_as_json(report: dict[str, Table]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "columns": list(table.columns),
            "rows": [
                [plain(v, c) for v, c in zip(row, table.columns, strict=True)] for row in table.rows
            ],
        }
        for name, table in report.items()
    }
