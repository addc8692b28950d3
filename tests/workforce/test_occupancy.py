"""Occupancy = (handling + after-contact work) / (logged in - breaks), cut in local hours and days.

Every expected figure below is worked out by hand from the states, in Europe/Paris.
"""

from datetime import UTC, date, datetime

import pytest

from kpis.registry import KPIS
from kpis.scope import Scope
from tests.tickets.test_import_history import history, import_history
from tickets.models import Agent, Team
from workforce.models import TeamWorkforce
from workforce.records import StateRecord
from workforce.selectors import occupancy_by_hour
from workforce.services import states_write


@pytest.fixture(autouse=True)
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def shift(*states: tuple[str, str, str]) -> None:
    """States of agent a1 (team lyon), given in UTC."""
    team = Team.objects.create(external_id="lyon")
    Agent.objects.create(external_id="a1", team=team)
    states_write([StateRecord("a1", s, utc(a), utc(b)) for s, a, b in states])


def by_day(first: date, last: date, **kwargs) -> dict:
    table = KPIS["occupancy"](Scope(first, last, granularity="day", **kwargs))
    return {r["day"]: r for r in table.records()}


@pytest.mark.django_db
def test_a_shift_across_midnight_counts_on_each_local_day():
    # 22:00 to 02:00 in Paris (UTC+1 in January): 2 h on each day, 30 min handled on each.
    shift(
        ("available", "2024-01-10T21:00:00", "2024-01-10T22:30:00"),
        ("handling", "2024-01-10T22:30:00", "2024-01-10T23:20:00"),
        ("after_contact_work", "2024-01-10T23:20:00", "2024-01-10T23:30:00"),
        ("available", "2024-01-10T23:30:00", "2024-01-11T01:00:00"),
    )

    days = by_day(date(2024, 1, 10), date(2024, 1, 11))
    hours = occupancy_by_hour(date(2024, 1, 10), date(2024, 1, 11))

    assert days[date(2024, 1, 10)]["logged_in_seconds"] == 2 * 3600
    assert days[date(2024, 1, 10)]["occupancy_pct"] == pytest.approx(25.0)  # 30 / 120 min
    assert days[date(2024, 1, 11)]["occupancy_pct"] == pytest.approx(25.0)
    assert hours[23]["occupancy_pct"] == pytest.approx(50.0)  # 23:30-00:00 busy of 23:00-00:00
    assert hours[0]["occupancy_pct"] == pytest.approx(50.0)  # 00:00-00:30


@pytest.mark.django_db
def test_the_autumn_dst_change_gives_its_day_25_hours_and_two_2_am_hours():
    # 27 October 2024: Paris goes back from 03:00 CEST to 02:00 CET (01:00 UTC). The shift runs
    # 00:00 CEST to 04:00 CET: five real hours. One hour handled: 02:30 CEST to 02:30 CET.
    shift(
        ("available", "2024-10-26T22:00:00", "2024-10-27T00:30:00"),
        ("handling", "2024-10-27T00:30:00", "2024-10-27T01:30:00"),
        ("break", "2024-10-27T01:30:00", "2024-10-27T02:00:00"),
        ("available", "2024-10-27T02:00:00", "2024-10-27T03:00:00"),
    )

    [day] = by_day(date(2024, 10, 27), date(2024, 10, 27)).values()
    hours = occupancy_by_hour(date(2024, 10, 27), date(2024, 10, 27))

    assert day["logged_in_seconds"] == 5 * 3600
    assert day["available_seconds"] == 4.5 * 3600
    assert day["occupancy_pct"] == pytest.approx(100 / 4.5)  # 1 h of 4.5 h
    # Both 02:00 hours (CEST, then CET) are hour 2 of the day: 2 h logged in, of which a
    # 30-minute break, and the hour handled.
    assert hours[2]["available_seconds"] == 1.5 * 3600
    assert hours[2]["occupancy_pct"] == pytest.approx(100 / 1.5)
    # 03:00 CET is 02:00 UTC: available the whole hour.
    assert (hours[3]["available_seconds"], hours[3]["occupancy_pct"]) == (3600, 0)


HEADER = "agent_id,state,started_at,ended_at\n"
MORNING = (
    "a1,available,2024-03-01T08:00:00Z,2024-03-01T09:00:00Z\n"
    "a1,handling,2024-03-01T09:00:00Z,2024-03-01T10:00:00Z\n"
)
NOON = (
    "a1,after_contact_work,2024-03-01T10:00:00Z,2024-03-01T10:30:00Z\n"
    "a1,available,2024-03-01T10:30:00Z,2024-03-01T12:00:00Z\n"
)


@pytest.mark.django_db
def test_imports_overlapping_in_time_count_each_state_once(tmp_path):
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    import_history(history(tmp_path / "one", agent_states=HEADER + MORNING))
    # The second export repeats the last state of the first one.
    last = MORNING.splitlines(keepends=True)[-1]
    import_history(history(tmp_path / "two", agent_states=HEADER + last + NOON))

    [day] = by_day(date(2024, 3, 1), date(2024, 3, 1)).values()

    assert day["logged_in_seconds"] == 4 * 3600  # 08:00-12:00 UTC, once
    assert day["occupancy_pct"] == pytest.approx(100 * 1.5 / 4)


@pytest.mark.django_db
def test_a_team_beyond_its_own_band_is_flagged():
    shift(
        ("handling", "2024-03-01T08:00:00", "2024-03-01T09:00:00"),
        ("available", "2024-03-01T09:00:00", "2024-03-01T09:10:00"),
    )
    TeamWorkforce.objects.create(
        team=Team.objects.get(), occupancy_low_pct=50, occupancy_high_pct=80
    )

    [row] = KPIS["occupancy"](Scope(date(2024, 3, 1), date(2024, 3, 1), by=("team",))).records()

    assert (row["team"], row["band_high_pct"], row["above_band"]) == ("lyon", 80, True)
    assert row["occupancy_pct"] == pytest.approx(100 * 60 / 70)
