"""Celery tasks of the KPIs: thin wrappers around kpis.rollups."""

from celery import shared_task

from .rollups.build import rollups_refresh


@shared_task(acks_late=True, ignore_result=True)
def kpi_rollups_refresh() -> int:
    """Rebuild the days marked dirty since the last run (queued after each write commits)."""
    return rollups_refresh()
