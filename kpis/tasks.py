"""Celery tasks of the KPIs: thin wrappers around kpis.rollups."""

from celery import shared_task

from .rollups.build import rollups_refresh


@shared_task(acks_late=True, ignore_result=True)
def kpi_rollups_refresh() -> int:
    """Rebuild the days marked dirty since the last run (queued after each write commits), then
    compute the overview's panels for the new data, so that no manager's request pays them."""
    from .dashboard.cache import panels_warm

    days = rollups_refresh()
    if days:
        panels_warm()
    return days
