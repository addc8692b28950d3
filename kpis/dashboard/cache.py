"""How long the overview's panels may be served from the cache, and under which key.

The panels read much of the history that the per-day rollups do not hold (the drivers, declared
resolution, speed of answer, repeat contacts by reason...): seconds at millions of contacts. So
the rendered panels are cached per period, segment and language, under a version of the data
that changes with every write the rollups hear of (a new dirty-day mark, a refresh or a build
stamps the rollups' state), and for OVERVIEW_CACHE_SECONDS at most, which bounds what a write
that bypasses them (raw SQL) or the passing of time (ticket ages) leaves stale.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Max
from django.utils.translation import get_language

from tickets.labels import labels_stamp

from ..references import references_stamp
from ..rollups.models import DirtyDay, RollupState
from ..routers import kpi_reads
from ..scope import Scope
from ..targets import targets_stamp


@kpi_reads()
def data_version() -> str | None:
    """Changes whenever the history the rollups follow changes: two indexed reads, on the
    server the KPIs are read from. None while the rollups were never built: writes are then
    not followed, and nothing is cached."""
    stamp = RollupState.objects.filter(pk=1).values_list("updated_at", flat=True).first()
    if stamp is None:
        return None
    mark = DirtyDay.objects.aggregate(last=Max("pk"))["last"]
    return f"{stamp.isoformat()}/{mark or 0}"


def panels_cache(scope: Scope) -> tuple[str, int]:
    """(key, seconds) to cache the panels of this scope in the page's language under."""
    version = data_version()
    filters = ",".join(f"{k}={v}" for k, v in sorted(scope.filters.items()))
    # The panels show the targets, sector references and reasons' labels in force too.
    shown = f"{targets_stamp()}/{references_stamp()}/{labels_stamp()}"
    raw = f"{scope.start}/{scope.end}/{filters}/{get_language()}/{version}/{shown}"
    seconds = settings.OVERVIEW_CACHE_SECONDS if version is not None else 0
    return hashlib.sha256(raw.encode()).hexdigest(), seconds
