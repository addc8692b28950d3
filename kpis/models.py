"""KPI tables: only the per-day rollups (kpis.rollups); figures are computed from the history."""

from .rollups.models import (
    CauseDay,
    ContactDay,
    DirtyDay,
    PartDay,
    RatingDay,
    ResponseDay,
    RollupState,
    TicketDay,
)

__all__ = [
    "CauseDay", "ContactDay", "DirtyDay", "PartDay", "RatingDay", "ResponseDay", "RollupState",
    "TicketDay",
]  # fmt: skip
