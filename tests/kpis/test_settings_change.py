"""Changing FCR_WINDOW_DAYS is noticed, and `facts_rebuild` gives the figures a fresh import
with the new window gives."""

import io
import logging
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction

from kpis.models import RollupState
from kpis.report import build_report
from kpis.rollups.serving import period_clean
from kpis.scope import Scope
from kpis.stored_settings import stored_settings_announce, stored_settings_check
from tickets.facts_state import facts_rebuild, facts_stale
from tickets.models import FactsState

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

START, END = date(2024, 1, 1), date(2025, 6, 30)


def report() -> dict[str, list]:
    return {name: table.rows for name, table in build_report(START, END).items()}


def import_history(directory) -> None:
    call_command("import_history", str(directory), stdout=io.StringIO())


def test_a_changed_window_is_noticed_and_facts_rebuild_equals_a_fresh_import(
    settings, reference_dir, caplog, quality_manager
):
    settings.TIME_ZONE = "UTC"
    settings.FCR_WINDOW_DAYS = 3
    with transaction.atomic():
        import_history(reference_dir)
        fresh = report()
        transaction.set_rollback(True)
    settings.FCR_WINDOW_DAYS = 7
    import_history(reference_dir)
    seven = report()
    assert seven != fresh  # the window matters to these figures
    assert facts_stale() is None and stored_settings_check(databases=["default"]) == []

    settings.FCR_WINDOW_DAYS = 3

    assert facts_stale() == (7, 3)
    [warning] = stored_settings_check(databases=["default"])
    assert "FCR_WINDOW_DAYS=7" in warning.msg and "facts_rebuild" in warning.msg
    with caplog.at_level(logging.WARNING, logger="kpis.stored_settings"):
        stored_settings_announce()
    assert "FCR_WINDOW_DAYS=7" in caplog.text
    # Until rebuilt: read from the stored facts, never from the rollups, exact for them.
    assert not period_clean(Scope(START, END))
    assert report() == seven
    api = quality_manager.get(f"/api/v1/kpis/fcr/?from={START}&to={END}").json()
    assert api["facts_current"] is False and api["fcr_window_days"] == 3
    page = quality_manager.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "still use a 7-day window" in page

    out = io.StringIO()
    call_command("facts_rebuild", stdout=out)

    assert "100%" in out.getvalue()
    assert facts_stale() is None and stored_settings_check(databases=["default"]) == []
    assert RollupState.objects.get().fcr_window_days == 3
    assert period_clean(Scope(START, END))  # served from the rollups again
    assert report() == fresh
    api = quality_manager.get(f"/api/v1/kpis/fcr/?from={START}&to={END}").json()
    assert api["facts_current"] is True
    assert "facts_rebuild" not in quality_manager.get("/dashboard/").content.decode()


def test_an_interrupted_facts_rebuild_resumes_after_the_last_customers_done(
    settings, reference_dir, monkeypatch
):
    settings.TIME_ZONE = "UTC"
    import_history(reference_dir)
    settings.FCR_WINDOW_DAYS = 10
    monkeypatch.setattr("tickets.facts_state.STEP_CUSTOMERS", 100)

    class Stop(Exception):
        pass

    def stop_at_second_step(done, total):
        if done > 100:
            raise Stop

    with pytest.raises(Stop):
        facts_rebuild(progress=stop_at_second_step)
    state = FactsState.objects.get()
    assert (state.window_days, state.rebuild_window_days) == (7, 10)
    assert state.rebuilt_through is not None
    assert facts_stale() == (7, 10)
    steps = []

    facts_rebuild(progress=lambda done, total: steps.append(done))

    assert steps[0] > 200  # resumed, not started over
    assert facts_stale() is None
    call_command("kpi_rollups_rebuild", stdout=io.StringIO())
    with transaction.atomic():
        rebuilt = report()
        transaction.set_rollback(True)
    settings.KPI_ROLLUPS = False
    call_command("facts_rebuild", "--restart", stdout=io.StringIO())
    assert report() == rebuilt
