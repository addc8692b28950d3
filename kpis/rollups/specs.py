"""What each rollup table holds: the rows it sums, the day they count on, the segments, and the
very aggregates the KPI queries compute while scanning (imported from them, not restated)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any

from django.db import models
from django.db.models import Count

from surveys.models import AgentRating, RepeatCause, Response
from tickets.models import Contact, Ticket

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


@cache
def specs() -> dict[str, RollupSpec]:
    # Imported here: the query modules themselves ask which rollups can serve them.
    # By module name: the package exposes functions with the same names.
    perception, repeat, resolution, satisfaction, workload = (
        import_module(f"kpis.queries.{name}")
        for name in ("perception", "repeat", "resolution", "satisfaction", "workload")
    )

    return {
        "contacts": RollupSpec(
            "contacts",
            ContactDay,
            lambda: Contact.objects.all(),
            "started_at",
            {"channel": "channel", "team_id": "team_id"},
            {"channel": "channel", "team": "team__external_id"},
            {
                "contacts": Count("id"),
                **repeat.AGGREGATES,
                **workload.PHONE_AGGREGATES,
                **workload.AHT_AGGREGATES,
            },
        ),
        "tickets": RollupSpec(
            "tickets",
            TicketDay,
            lambda: Ticket.objects.filter(solved_at__isnull=False),
            "solved_at",
            {
                "channel": "first_inbound_contact__channel",
                "team_id": "first_inbound_contact__team_id",
            },
            {"channel": "channel", "team": "team__external_id"},
            {**resolution.FCR_AGGREGATES, **resolution.EXCHANGES_AGGREGATES},
        ),
        "responses": RollupSpec(
            "responses",
            ResponseDay,
            lambda: Response.objects.all(),
            "responded_at",
            {
                "channel": "contact__channel",
                "team_id": "contact__team_id",
                "agent_id": "contact__agent_id",
            },
            {"channel": "channel", "team": "team__external_id", "agent": "agent__external_id"},
            {"responses": Count("id"), **satisfaction.AGGREGATES},
        ),
        "ratings": RollupSpec(
            "ratings",
            RatingDay,
            lambda: AgentRating.objects.all(),
            "rated_at",
            {"agent_id": "agent_id"},
            {"agent": "agent__external_id"},
            perception.RATING_AGGREGATES,
        ),
        "causes": RollupSpec(
            "causes",
            CauseDay,
            lambda: RepeatCause.objects.all(),
            "answered_at",
            {"code": "code"},
            {"reason_code": "code"},
            repeat.CAUSE_AGGREGATES,
        ),
    }


def same_aggregate(spec: RollupSpec, name: str, aggregate: Any) -> bool:
    """Whether `aggregate` is the one the rollup column `name` was built from."""
    built = spec.measures.get(name)
    return built is not None and built == aggregate


__all__ = ["RollupSpec", "same_aggregate", "specs"]
