"""KPI tables: only the per-day rollups (kpis.rollups); figures are computed from the history."""

from .rollups.models import ContactDay, DirtyDay, RatingDay, ResponseDay, RollupState, TicketDay

__all__ = ["ContactDay", "DirtyDay", "RatingDay", "ResponseDay", "RollupState", "TicketDay"]
