"""Whether the stored facts and rollups were computed with the settings in force.

The facts hold FCR_WINDOW_DAYS (tickets.facts_state), the rollups TIME_ZONE and the facts' window
(kpis.rollups). After either setting changes, the figures stay exact for what is stored, but not
for the new setting until it is recomputed: said by a system check (`manage.py check --database
default`, and every `migrate`), logged once when a web or worker process starts, and flagged
with the figures (`facts_current` in the KPI API, a notice on the dashboard).
"""

import logging
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError
from django.utils.translation import gettext as _

from tickets.facts_state import facts_stale

from .rollups.models import RollupState

logger = logging.getLogger(__name__)


def stored_settings_drift() -> list[str]:
    """What was computed with other settings than those in force, and what to run."""
    problems = []
    stale = facts_stale()
    if stale is not None:
        problems.append(
            _(
                "The stored repeat and re-contact facts were computed with FCR_WINDOW_DAYS="
                "%(stored)s, and the setting is %(now)s: figures are read from the stored facts"
                " (never from the rollups) and flagged until `manage.py facts_rebuild` has run."
            )
            % {"stored": stale[0], "now": stale[1]}
        )
    zone = RollupState.objects.filter(pk=1).values_list("time_zone", flat=True).first()
    if zone is not None and zone != settings.TIME_ZONE:
        problems.append(
            _(
                "The rollups were built in TIME_ZONE=%(stored)s, and the setting is %(now)s: "
                "figures are scanned until the next refresh (or `manage.py kpi_rollups_rebuild`)"
                " has rebuilt them."
            )
            % {"stored": zone, "now": settings.TIME_ZONE}
        )
    return problems


@register(Tags.database)
def stored_settings_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    if not databases:
        return []
    try:
        drift = stored_settings_drift()
    except DatabaseError:
        return []  # not migrated yet: nothing stored
    return [Warning(message, id=f"kpis.W00{i}") for i, message in enumerate(drift, start=1)]


def stored_settings_announce(**kwargs: Any) -> None:
    """Log the drift once, when a process starts serving (a receiver of any signal)."""
    try:
        drift = stored_settings_drift()
    except DatabaseError as error:
        logger.warning("Could not compare the stored facts with the settings: %s", error)
        return
    for message in drift:
        logger.warning(message)
