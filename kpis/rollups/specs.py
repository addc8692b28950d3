"""What each rollup table holds: the source rows it sums (kpis.sources), its segments, and the
very aggregates the KPIs compute while scanning: those of every registered KPI part that says it
may be read from the rollup (kpis.definition.Part.rollup), gathered here, not restated."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Count

from ..registry import KPIS, registry_version
from ..sources import CAUSES, CONTACTS, RATINGS, RESPONSES, SOLVED_TICKETS, Source
from .models import CauseDay, ContactDay, RatingDay, ResponseDay, TicketDay


@dataclass(frozen=True)
class RollupSpec:
    name: str
    model: type[models.Model]  # the rollup table
    source: Any  # () -> the history rows it sums
    date_field: str  # the day a row counts on, cut in the rollup's zone
    # segment column on the rollup -> the source's field it copies
    segments: dict[str, str]
    # dimension a KPI cuts by -> path on the rollup table
    dimensions: dict[str, str]
    measures: dict[str, Any]  # rollup column -> the aggregate over the source


# (source, table, segments, dimensions) of each rollup.
TABLES: tuple[tuple[Source, type[models.Model], dict[str, str], dict[str, str]], ...] = (
    (
        CONTACTS,
        ContactDay,
        {"channel": "channel", "team_id": "team_id"},
        {"channel": "channel", "team": "team__external_id"},
    ),
    (
        SOLVED_TICKETS,
        TicketDay,
        {"channel": "first_inbound_contact__channel", "team_id": "first_inbound_contact__team_id"},
        {"channel": "channel", "team": "team__external_id"},
    ),
    (
        RESPONSES,
        ResponseDay,
        {
            "channel": "contact__channel",
            "team_id": "contact__team_id",
            "agent_id": "contact__agent_id",
        },
        {"channel": "channel", "team": "team__external_id", "agent": "agent__external_id"},
    ),
    (RATINGS, RatingDay, {"agent_id": "agent_id"}, {"agent": "agent__external_id"}),
    (CAUSES, CauseDay, {"code": "code"}, {"reason_code": "code"}),
)


def specs() -> dict[str, RollupSpec]:
    return _specs(registry_version())


@cache
def _specs(version: int) -> dict[str, RollupSpec]:
    out = {}
    for source, model, segments, dimensions in TABLES:
        assert source.rollup is not None
        out[source.rollup] = RollupSpec(
            source.rollup,
            model,
            source.rows,
            source.date_field,
            segments,
            dimensions,
            _measures(source, model),
        )
    return out


def _measures(source: Source, model: type[models.Model]) -> dict[str, Any]:
    """The count of the source's rows, then every rolled-up aggregate of the KPIs over it."""
    measures: dict[str, Any] = {source.count: Count("id")}
    for kpi in KPIS.values():
        for part in kpi.parts:
            if not part.rollup or part.source != source:
                continue
            for name, aggregate in part.measures().items():
                if measures.setdefault(name, aggregate) != aggregate:
                    raise ImproperlyConfigured(
                        f"{kpi.name}: {name} is another aggregate in the {source.rollup} rollup."
                    )
    columns = {
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.IntegerField) and not (f.primary_key or f.is_relation)
    }
    if set(measures) != columns:
        raise ImproperlyConfigured(
            f"The {source.rollup} rollup has columns {sorted(columns)} but its KPIs ask "
            f"{sorted(measures)}: add the columns (a migration) or stop rolling the part up."
        )
    return measures


def same_aggregate(spec: RollupSpec, name: str, aggregate: Any) -> bool:
    """Whether `aggregate` is the one the rollup column `name` was built from."""
    built = spec.measures.get(name)
    return built is not None and built == aggregate


__all__ = ["RollupSpec", "same_aggregate", "specs"]
