"""KPI tables: the per-day rollups (kpis.rollups) and what figures are held against: each
channel's targets (kpis.targets). Figures themselves are computed from the history."""

from .references import SectorReference
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
from .targets import ChannelTarget

__all__ = [
    "CauseDay",
    "ChannelTarget",
    "ContactDay",
    "DirtyDay",
    "PartDay",
    "RatingDay",
    "ResponseDay",
    "RollupState",
    "SectorReference",
    "TicketDay",
]  # fmt: skip
