"""Writes that mark days dirty queue one rollup refresh a second at most (config.celery)."""

from datetime import date

import pytest
from django.core.cache import cache

from kpis.rollups.marks import REFRESH_QUEUED_KEY, days_mark
from kpis.tasks import kpi_rollups_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch, settings):
    """With a broker: the messages the refresh task would get, with their options."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[dict] = []
    monkeypatch.setattr(kpi_rollups_refresh, "apply_async", lambda **options: sent.append(options))
    return sent


def test_answers_in_a_burst_queue_one_refresh_that_starts_after_the_burst(
    queued, django_capture_on_commit_callbacks
):
    for day in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            days_mark([date(2025, 3, day)])

    assert len(queued) == 1
    assert queued[0]["countdown"] == 2  # after the key has expired: it sees the whole burst


def test_a_write_after_the_key_expired_queues_another_refresh(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        days_mark([date(2025, 3, 1)])
    cache.delete(REFRESH_QUEUED_KEY)  # a second later
    with django_capture_on_commit_callbacks(execute=True):
        days_mark([date(2025, 3, 2)])

    assert len(queued) == 2


def test_without_a_broker_each_write_refreshes_in_process(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    runs: list[dict] = []
    monkeypatch.setattr(kpi_rollups_refresh, "apply_async", lambda **options: runs.append(options))

    for day in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            days_mark([date(2025, 3, day)])

    assert [run.get("countdown") for run in runs] == [None, None]  # at once, each time
