"""The full KPI report: every section of the reference's expected.json, same names and columns.

A section is one KPI for one cut (overall, by month, by channel...). The reference's columns
come first, in its order; the extra ones (confidence intervals, low-sample flags) follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import Any

from django.db.models import Count, QuerySet

from surveys.models import AgentRating, RepeatCause, Response
from tickets.models import Contact, Ticket

from .queries import KPIS
from .queries.base import Table, build_table, collapse, grouped
from .queries.perception import perception_gap
from .rollups.serving import checks_shared, rollup_total
from .routers import kpi_reads
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
        ("agent_ratings", AgentRating.objects, "rated_at", ("ratings", "agent_n")),
        ("contacts", Contact.objects, "started_at", ("contacts", "contacts")),
        ("repeat_reasons", RepeatCause.objects, "answered_at", ("causes", "n")),
        ("responses", Response.objects, "responded_at", ("responses", "responses")),
        ("tickets", Ticket.objects, "created_at", None),
    ]
    rows: list[list[Any]] = []
    for name, manager, field, rollup in sources:
        n = rollup_total(*rollup, scope) if rollup else None
        if n is not None:  # the per-day rollups hold the same count (kpis.rollups)
            rows.append([name, n])
            continue
        n = manager.filter(**{f"{field}__gte": scope.since, f"{field}__lt": scope.until}).aggregate(
            n=Count("id")
        )["n"]
        rows.append([name, n])
    return Table(columns=["table_name", "n"], rows=rows, keys=1)


@checks_shared()  # the rollups' state is read once per period
@kpi_reads()
def build_report(
    start: date,
    end: date,
    by: str | None = None,
    kpis: Iterable[str] | None = None,
    filters: dict[str, str] | None = None,
) -> dict[str, Table]:
    """Every section, as {name: Table}. With `by`, each KPI once, cut that way instead."""
    chosen = set(kpis) if kpis else None
    filters = dict(filters or {})
    report: dict[str, Table] = {}
    if by is None:
        if chosen is None or "meta_counts" in chosen:
            report["meta_counts"] = meta_counts(Scope(start, end, filters=filters))
        derived = _derived_sections(start, end, filters, chosen)
        for section in SECTIONS:
            if chosen is not None and section.kpi not in chosen:
                continue
            table = derived.get(section.name)
            if table is None:
                scope = Scope.parse(start.isoformat(), end.isoformat(), section.by, filters=filters)
                table = KPIS[section.kpi](scope)
            report[section.name] = table.reordered(section.lead)
        return report
    scope = Scope.parse(start.isoformat(), end.isoformat(), by, filters=filters)
    suffix = "_by_" + "_".join(n.strip() for n in by.split(",") if n.strip()) if by else ""
    for name, kpi in KPIS.items():
        if chosen is None or name in chosen:
            report[name + (suffix or "_overall")] = kpi(scope)
    return report


@dataclass(frozen=True)
class _Family:
    """KPIs read from the same rows: one scan by month and channel serves all their sections."""

    queryset: Callable[[], QuerySet]
    date_field: str
    dimensions: dict[str, Any]
    # (kpi, aggregates, columns, figures, cuts)
    measures: tuple[tuple[str, dict[str, Any], list[str], Callable, tuple[str, ...]], ...]
    by: tuple[str, ...] = ("channel",)  # the scan's cut, besides the month
    rollup: tuple[str, str] | None = None  # the per-day rollup holding the same counts


def _families() -> list[_Family]:
    # The modules by name: the package exposes functions of the same names.
    repeat = import_module("kpis.queries.repeat")
    resolution = import_module("kpis.queries.resolution")
    satisfaction = import_module("kpis.queries.satisfaction")
    workload = import_module("kpis.queries.workload")

    return [
        _Family(
            lambda: Contact.objects.all(),
            "started_at",
            repeat.CONTACT_DIMENSIONS,
            (
                ("repeat", repeat.AGGREGATES, repeat.COLUMNS, repeat.repeat_figures,
                 ("overall", "month", "channel")),
                ("phone_answer", workload.PHONE_AGGREGATES, workload.PHONE_COLUMNS,
                 workload.phone_figures, ("overall", "month")),
                ("aht", workload.AHT_AGGREGATES, workload.AHT_COLUMNS, workload.aht_figures,
                 ("channel",)),
            ),
            rollup=("contacts", "contacts"),
        ),
        _Family(
            lambda: Ticket.objects.filter(solved_at__isnull=False),
            "solved_at",
            resolution.DIMENSIONS,
            (
                ("fcr", resolution.FCR_AGGREGATES, resolution.FCR_COLUMNS,
                 resolution.fcr_figures, ("overall", "month", "channel")),
                ("exchanges", resolution.EXCHANGES_AGGREGATES, resolution.EXCHANGES_COLUMNS,
                 resolution.exchanges_figures, ("overall", "month")),
            ),
            rollup=("tickets", "solved"),
        ),
        _Family(
            lambda: Response.objects.all(),
            "responded_at",
            satisfaction.DIMENSIONS,
            (
                ("satisfaction", satisfaction.AGGREGATES, satisfaction.COLUMNS,
                 satisfaction.figures, ("overall", "month", "channel", "agent")),
            ),
            by=("channel", "agent"),
            rollup=("responses", "responses"),
        ),
    ]  # fmt: skip


def _derived_sections(
    start: date, end: date, filters: dict[str, str], chosen: set[str] | None
) -> dict[str, Table]:
    """The overall, by-month and by-channel sections, summed from one scan per family."""
    cuts = {
        "overall": (Scope(start, end, None, (), filters), ()),
        "month": (Scope(start, end, "month", (), filters), (0,)),
        "channel": (Scope(start, end, None, ("channel",), filters), (1,)),
        "agent": (Scope(start, end, None, ("agent",), filters), (2,)),
    }
    tables: dict[str, Table] = {}
    for family in _families():
        measures = [m for m in family.measures if chosen is None or m[0] in chosen]
        if not measures:
            continue
        aggregates: dict[str, Any] = {}
        for _kpi, measure_aggregates, *_rest in measures:
            aggregates.update(measure_aggregates)
        groups = grouped(
            family.queryset(),
            Scope(start, end, "month", family.by, filters),
            date_field=family.date_field,
            dimensions=family.dimensions,
            aggregates=aggregates,
            keep_unknown=True,
            rollup=family.rollup,
        )
        for kpi, measure_aggregates, columns, figures, wanted in measures:
            for cut in wanted:
                scope, keep = cuts[cut]
                coarse = collapse(groups, keep, scope, measure_aggregates)
                if cut in ("channel", "agent"):  # a segment shows when it has rows, as scanned
                    coarse = [(k, c) for k, c in coarse if any(c.values())]
                name = "overall" if cut == "overall" else "by_" + cut
                tables[f"{kpi}_{name}"] = build_table(scope, coarse, columns, figures)
        if family.by == ("channel", "agent") and (chosen is None or "perception_gap" in chosen):
            # Customers' CSAT per agent comes from the same scan; agents' own ratings are read.
            scope, keep = cuts["agent"]
            csat = collapse(groups, keep, scope, ["csat_n", "csat_good", "csat_sum"])
            csat = [(key, c) for key, c in csat if c["csat_n"]]  # as scanning CSAT answers
            tables["csat_gap_by_agent"] = perception_gap(scope, csat=csat)
    return tables


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
