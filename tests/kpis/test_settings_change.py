"""Changing FCR_WINDOW_DAYS is noticed, and `facts_rebuild` gives the figures a fresh import
with the new window gives."""

import io
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction

from kpis.models import RollupState
from kpis.report import build_report
from kpis.rollups.serving import period_clean
from kpis.scope import Scope
from kpis.stored_settings import stored_settings_announce, stored_settings_check
from tickets.facts_state import facts_rebuild, facts_stale
from tickets.models import Contact, FactsState
from tickets.records import ContactRecord
from tickets.services import contacts_upsert

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
    assert "7-day window" not in quality_manager.get("/dashboard/").content.decode()


def test_an_interrupted_facts_rebuild_resumes_after_the_last_customers_done(settings, monkeypatch):
    # Six customers, each with two contacts on one reason three days apart: a repeat with the
    # 7-day window, not with a 2-day one.
    at = datetime(2024, 3, 1, 9, tzinfo=UTC)
    contacts_upsert([
        ContactRecord(f"{c}-{i}", f"cu{c}", "phone", "billing", "inbound",
                      at + timedelta(days=3 * i), ticket=f"T{c}")
        for c in range(6) for i in range(2)
    ])  # fmt: skip
    assert Contact.objects.filter(is_repeat=True).count() == 6
    settings.FCR_WINDOW_DAYS = 2
    monkeypatch.setattr("tickets.facts_state.STEP_CUSTOMERS", 2)

    class Stop(Exception):
        pass

    def stop_after_two_steps(done, total):
        if done > 2:
            raise Stop

    with pytest.raises(Stop):
        facts_rebuild(progress=stop_after_two_steps)
    state = FactsState.objects.get()
    assert (state.window_days, state.rebuild_window_days) == (7, 2)
    assert Contact.objects.filter(is_repeat=True).count() == 2  # four customers of six done
    assert facts_stale() == (7, 2)
    steps = []

    facts_rebuild(progress=lambda done, total: steps.append(done))

    assert steps == [6]  # resumed after the 4 customers done, not started over
    assert facts_stale() is None
    assert not Contact.objects.filter(is_repeat=True).exists()
