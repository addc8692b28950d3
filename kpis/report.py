"""The full KPI report: every section the KPIs declare (those of the reference's expected.json,
same names and columns, and any other KPI's).

A section is one KPI for one cut (overall, by month, by channel...). The reference's columns
come first, in its order; the extra ones (confidence intervals, low-sample flags) follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count

from .counting import Ask, tables
from .queries.base import Table
from .registry import KPIS
from .rollups.serving import checks_shared, rollup_total
from .scope import Scope
from .sources import CAUSES, CONTACTS, RATINGS, RESPONSES, TICKETS


@dataclass(frozen=True)
class ReportSection:
    """A section of the full report: a KPI's section (kpis.definition.Section)."""

    kpi: str
    name: str
    by: str
    lead: tuple[str, ...]


def report_sections(chosen: Iterable[str] | None = None) -> list[ReportSection]:
    """Every registered KPI's sections, in the registry's order."""
    wanted = set(chosen) if chosen is not None else None
    return [
        ReportSection(kpi.name, section.name, section.by, section.lead)
        for kpi in KPIS.values()
        if wanted is None or kpi.name in wanted
        for section in kpi.sections
    ]


def meta_counts(scope: Scope) -> Table:
    """Rows of each kind of history in the period (each by its own date)."""
    sources = [
        ("agent_ratings", RATINGS),
        ("contacts", CONTACTS),
        ("repeat_reasons", CAUSES),
        ("responses", RESPONSES),
        ("tickets", TICKETS),
    ]
    rows: list[list[Any]] = []
    for name, source in sources:
        n = rollup_total(source.rollup, source.count, scope) if source.rollup else None
        if n is None:  # the per-day rollups hold the same count (kpis.rollups) or not
            field = source.date_field
            n = (
                source.rows()
                .filter(**{f"{field}__gte": scope.since, f"{field}__lt": scope.until})
                .aggregate(n=Count("id"))["n"]
            )
        rows.append([name, n])
    return Table(columns=["table_name", "n"], rows=rows, keys=1)


@checks_shared()  # the rollups' state is read once per period
def build_report(
    start: date,
    end: date,
    by: str | None = None,
    kpis: Iterable[str] | None = None,
    filters: dict[str, str] | None = None,
) -> dict[str, Table]:
    """Every KPI's sections, as {name: Table}. With `by`, each KPI once, cut that way instead.

    The sections' tables are counted together (kpis.counting): one scan of each table of the
    history serves the overall, monthly and per-segment sections of every KPI reading it.
    """
    chosen = set(kpis) if kpis else None
    filters = dict(filters or {})
    report: dict[str, Table] = {}
    if by is None:
        if chosen is None or "meta_counts" in chosen:
            report["meta_counts"] = meta_counts(Scope(start, end, filters=filters))
        sections = report_sections(chosen)
        asks = [
            Ask(KPIS[s.kpi], Scope.parse(start.isoformat(), end.isoformat(), s.by, filters=filters))
            for s in sections
        ]
        for section, table in zip(sections, tables(asks), strict=True):
            report[section.name] = table.reordered(section.lead)
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
