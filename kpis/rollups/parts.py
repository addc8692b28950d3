"""Part rollups: the counts of a few KPI parts by day, channel, team and up to two keys of their
own.

The per-source rollups (specs.py) hold the aggregates every cut by channel, team and agent
needs. The overview also reads parts they cannot hold: satisfaction cut by a key computed per
answer (exchanges on the ticket, repeat or first contact, answer target met), declared
resolution and the speed of answer (aggregates of their own), repeat contacts by reason, agents'
ratings by team; and the productivity panel's chatbot hand-offs by reason (whether a person took
the customer within the window: a subquery per session) and cost per contact type (by reason
and direction, per team: each team is priced at its own rate). Each is summed here per local
day (kpis.rollups.models.PartDay), from the very aggregates the part computes while scanning,
and served under the same rule as the other rollups (serving.py): state ready in this zone and
window, no dirty day in the period, every aggregate, cut and filter one the entry was built
with.

An entry names its KPI part; its rows, aggregates and keys are read from the part itself, never
restated. Durations (the speed of answer's waits) are kept in whole microseconds, the unit the
KPI reads them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import DurationField, F, Q
from django.db.models.functions import TruncDate

from ..registry import KPIS
from ..scope import Scope
from .models import PART_MEASURES, PartDay
from .summing import days_summed

if TYPE_CHECKING:
    from ..definition import Part

SEGMENTS = ("channel", "team")

# The columns of PartDay holding an entry's keys, in the order the entry names them.
KEY_COLUMNS = ("key", "key2")

# (KPI, index of its part, the keys it is cut by besides its segments, its segments).
ENTRIES: tuple[tuple[str, int, tuple[str, ...], tuple[str, ...]], ...] = (
    ("satisfaction_by_exchanges", 0, ("exchanges",), SEGMENTS),
    ("satisfaction_by_repeat", 0, ("repeat",), SEGMENTS),
    ("satisfaction_by_answer_target", 0, ("answer_target",), SEGMENTS),
    ("declared_resolution", 0, (), SEGMENTS),
    ("speed_of_answer", 0, (), SEGMENTS),
    ("repeat", 0, ("reason",), SEGMENTS),
    # Agents' ratings by the team of the contact rated and by agent: the overview cuts them by
    # team and by agent at once (one scan, summed down), which RatingDay (by agent) cannot. Not
    # by channel: that would multiply the rows by the channels (a cut by channel is scanned).
    ("perception_gap", 0, ("agent",), ("team",)),
    # The productivity panel: hand-offs and the chatbot's CSAT by reason, and the cost per
    # contact type (reason, channel, direction), which it prices team by team.
    ("chatbot_handoff", 0, ("reason",), SEGMENTS),
    ("chatbot_handoff", 1, ("reason",), SEGMENTS),
    ("contact_cost", 0, ("reason", "direction"), SEGMENTS),
)


@dataclass(frozen=True)
class Entry:
    name: str  # PartDay.part
    part: Part
    keys: tuple[str, ...]  # held in KEY_COLUMNS, in this order
    segments: tuple[str, ...]

    @property
    def source(self) -> Any:  # kpis.sources.Source
        return self.part.source

    @property
    def where(self) -> Q | None:
        return self.part.where

    # Computed when first asked, not for every entry a query is checked against: some read the
    # database (the hand-offs' window).
    @cached_property
    def dimensions(self) -> Mapping[str, Any]:
        """The part's dimensions (paths, or expressions per row)."""
        return self.part.dims()

    @cached_property
    def measures(self) -> dict[str, Any]:
        """Aggregate name -> expression, in column order (m0, m1...)."""
        measures = self.part.measures()
        if len(measures) > PART_MEASURES:
            raise ImproperlyConfigured(f"{self.name}: more aggregates than PartDay has columns.")
        return measures

    def column(self, measure: str) -> str:
        return f"m{list(self.measures).index(measure)}"

    def paths(self) -> dict[str, str]:
        """Each dimension it is cut by -> its path on PartDay."""
        own = dict(zip(self.keys, KEY_COLUMNS, strict=False))
        return {"channel": "channel", "team": "team__external_id", **own}


def entries() -> list[Entry]:
    """Built on each call: some aggregates follow the channels' answer targets, editable in the
    admin (a change of them rebuilds the rollups, see marks.target_saved)."""
    out = []
    for kpi_name, index, keys, segments in ENTRIES:
        if kpi_name not in KPIS:
            continue
        if len(keys) > len(KEY_COLUMNS):
            raise ImproperlyConfigured(f"{kpi_name}: more keys than PartDay has columns.")
        out.append(Entry(f"{kpi_name}.{index}", KPIS[kpi_name].parts[index], keys, segments))
    return out


def _team_id(path: str) -> str:
    """The team's key column beside the path to its external id (contact__team_id)."""
    return path.removesuffix("__external_id") + "_id"


# --- building ---------------------------------------------------------------------------------


def parts_rebuild(first: date, last: date, since: datetime, until: datetime, tz: ZoneInfo) -> None:
    """Recompute every part rollup of the local days first..last, set-based."""
    for entry in entries():
        PartDay.objects.filter(part=entry.name, day__gte=first, day__lte=last).delete()
        _insert(entry, since, until, tz)


def _insert(entry: Entry, since: datetime, until: datetime, tz: ZoneInfo) -> None:
    dims = entry.dimensions
    rows = entry.source.rows()
    if entry.where is not None:
        rows = rows.filter(entry.where)
    date_field = entry.source.date_field
    keys: dict[str, Any] = {}
    if "channel" in entry.segments:
        keys["r_channel"] = F(dims["channel"])
    if "team" in entry.segments:
        keys["r_team"] = F(_team_id(dims["team"]))
    annotations: dict[str, Any] = {"r_day": TruncDate(date_field, tzinfo=tz)}
    for key, column in zip(entry.keys, KEY_COLUMNS, strict=False):
        source = dims[key]
        if isinstance(source, str):
            keys[f"r_{column}"] = F(source)
        else:
            annotations[f"r_{column}"] = source
    grouped = (
        rows.filter(**{f"{date_field}__gte": since, f"{date_field}__lt": until})
        .annotate(**annotations)
        .values(*annotations, **keys)
        .annotate(**{f"m_{i}": aggregate for i, aggregate in enumerate(entry.measures.values())})
        .order_by()
    )
    select, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ["part", "day", "channel", "team_id", *KEY_COLUMNS]
    values = [
        "%s",
        "r_day",
        "r_channel" if "r_channel" in keys else "NULL",
        "r_team" if "r_team" in keys else "NULL",
        *(f"r_{c}" if i < len(entry.keys) else "NULL" for i, c in enumerate(KEY_COLUMNS)),
    ]
    for i, aggregate in enumerate(entry.measures.values()):
        columns.append(f"m{i}")
        values.append(f"COALESCE({_whole(f'm_{i}', aggregate)}, 0)")
    for i in range(len(entry.measures), PART_MEASURES):  # defaults are Django's, not the table's
        columns.append(f"m{i}")
        values.append("0")
    # Day by day, as the other rollups (build._insert): a day's rows lie together.
    sql = (
        f"INSERT INTO {quote(PartDay._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(values)} FROM ({select}) AS rolled ORDER BY r_day"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [entry.name, *params])


def _whole(column: str, aggregate: Any) -> str:
    """A duration as whole microseconds (what the KPI reads it as); a count as it is."""
    if not isinstance(getattr(aggregate, "output_field", None), DurationField):
        return column
    if connection.vendor == "postgresql":
        return f"ROUND(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
    return column  # SQLite and the others keep durations as microseconds already


# --- serving ----------------------------------------------------------------------------------


def part_servable(
    source: Any,
    where: Q | None,
    scope: Scope,
    dims: Sequence[str],
    dimensions: Mapping[str, Any],
    aggregates: Mapping[str, Any],
    presence: str,
) -> Entry | None:
    """The entry holding exactly these counts, or None (then scan). The period's check (built,
    its dirty days) is the caller's (serving.served_rows)."""
    for entry in entries():
        if entry.source.name != source.name or entry.where != where:
            continue
        cuts = {*entry.segments, *entry.keys}
        if any(d not in cuts for d in dims) or any(f not in entry.segments for f in scope.filters):
            continue
        if any(dimensions.get(d) != entry.dimensions[d] for d in dims):
            continue
        if presence not in aggregates or not all(
            entry.measures.get(n) == a for n, a in aggregates.items()
        ):
            continue
        return entry
    return None


def part_rows(
    entry: Entry,
    scope: Scope,
    dims: Sequence[str],
    aggregates: Mapping[str, Any],
    presence: str,
    keep_unknown: bool,
    dirty: Sequence[date] = (),
) -> list[dict[str, Any]] | dict[str, Any]:
    """What `grouped` reads from a scan (k_period, k_<dim>, counts), summed from the entry over
    the period's days but the `dirty` ones."""
    rows = days_summed(
        PartDay.objects.filter(part=entry.name), scope, entry.paths(), entry.column,
        dims, aggregates, presence, keep_unknown, dirty,
    )  # fmt: skip
    return _named(rows) if isinstance(rows, dict) else [_named(row) for row in rows]


def _named(row: Mapping[str, Any]) -> dict[str, Any]:
    # PostgreSQL sums 8-byte integers into numerics: back to the integers a scan counts.
    out = {}
    for name, value in row.items():
        if name.startswith("v_"):
            out[name[2:]] = None if value is None else int(value)
        else:
            out[name] = value
    return out
