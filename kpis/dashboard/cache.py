"""How long the overview's panels may be served from the cache, and under which key.

The panels read much of the history that the per-day rollups do not hold (the drivers, declared
resolution, speed of answer, repeat contacts by reason...): seconds at millions of contacts. So
the rendered panels are cached per period, segment and language, under a version of the data
that changes with every write the rollups hear of (a new dirty-day mark, a refresh or a build
stamps the rollups' state), and for OVERVIEW_CACHE_SECONDS at most, which bounds what a write
that bypasses them (raw SQL) or the passing of time (ticket ages) leaves stale.

The panels' figures (not their HTML) are cached under the same key too, so that the task that
refreshes the rollups after a write computes them for the default period in every language
(`panels_warm`) and no manager's request pays for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import translation
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


def _figures_key(key: str) -> str:
    return f"overview-panels:{key}"


def panels_cached(scope: Scope, compute: Callable[[], Any]) -> Any:
    """The alarms and panels of this scope in the page's language: from the cache when the
    data has not changed since they were computed (or warmed), else computed and kept."""
    key, seconds = panels_cache(scope)
    if not seconds:
        return compute()
    found = cache.get(_figures_key(key))
    if found is None:
        found = compute()
        cache.set(_figures_key(key), found, seconds)
    return found


def panels_warm() -> int:
    """Compute the default period's panels in every language into the cache, where they are
    missing for the data as it is now (after a refresh of the rollups). Returns how many."""
    from ..periods import default_period
    from .selectors import headline_figures, overview_panels

    scope = Scope(*default_period())
    trends = None
    warmed = 0
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            key, seconds = panels_cache(scope)
            if not seconds or cache.get(_figures_key(key)) is not None:
                continue
            if trends is None:
                _headlines, trends = headline_figures(scope)
            cache.set(_figures_key(key), overview_panels(scope, trends), seconds)
            warmed += 1
    return warmed
