"""Erlang C against a published example, and the forecast on a series of known pattern."""

import random
from datetime import date, datetime, timedelta

import pytest

from workforce.erlang import (
    agents_needed,
    agents_needed_unrounded,
    mean_wait,
    service_level,
    wait_probability,
)
from workforce.forecast import forecast, holiday_ratio, weekly_mape
from workforce.staffing import scheduled


def test_erlang_c_gives_the_published_worked_example():
    # L. Bromley, "Erlang-C calculations" (mitan.co.uk/erlang/elgcmath.htm): 360 calls per half
    # hour, 4-minute calls, 55 agents, target 15 s. Traffic 48 erlangs, occupancy 87.3 %,
    # probability of waiting 23.9 %, average speed of answer 8.2 s, service level 84.6 %.
    traffic = 360 * 240 / 1800

    assert traffic == 48
    assert wait_probability(traffic, 55) == pytest.approx(0.239, abs=0.0005)
    assert mean_wait(traffic, 55, 240) == pytest.approx(8.2, abs=0.05)
    assert service_level(traffic, 55, 240, 15) == pytest.approx(0.846, abs=0.0005)
    # 55 agents reach 80 % in 15 s; one fewer does not.
    assert service_level(traffic, 54, 240, 15) < 0.8
    assert agents_needed(traffic, 240, 15, 0.8) == 55


def synthetic(weeks: int, noise: float, seed: int = 3) -> dict[datetime, float]:
    """Weekdays busier than weekends, a morning and an afternoon peak, +2 % a week."""
    rng = random.Random(seed)
    day_weight = [1.0, 0.9, 0.9, 0.9, 0.8, 0.4, 0.1]
    series = {}
    start = datetime(2024, 1, 1)  # a Monday
    for half_hour in range(weeks * 7 * 48):
        moment = start + timedelta(minutes=30 * half_hour)
        hour = moment.hour + moment.minute / 60
        shape = 0 if not 8 <= hour < 19 else (2.0 if 9 <= hour < 12 or 14 <= hour < 17 else 1.0)
        level = 10 * (1 + 0.02 * (half_hour // (7 * 48)))
        mean = level * day_weight[moment.weekday()] * shape
        series[moment] = max(0.0, mean * (1 + rng.gauss(0, noise)))
    return series


def test_the_forecast_recovers_a_known_weekly_pattern_and_trend():
    # Without noise the method is exact: the pattern is one weekly profile times a line.
    exact = synthetic(20, noise=0)
    truth = synthetic(24, noise=0)
    next_weeks = forecast(exact, date(2024, 5, 20), 4)

    for moment, predicted in next_weeks.items():
        assert predicted == pytest.approx(truth[moment], abs=1e-6)


def test_the_forecast_of_a_noisy_series_errs_by_less_than_5_percent_a_week():
    # Each half-hour drawn with 20 % noise: days sum 22 half-hours, so a day errs by ~4 %.
    series = synthetic(24, noise=0.2)
    weeks = [date(2024, 5, 20) + timedelta(weeks=i) for i in range(4)]

    mape = weekly_mape(series, weeks)

    assert all(value is not None and value < 5 for value in mape.values()), mape


def with_holidays(series: dict[datetime, float], days: list[date], share: float) -> dict:
    """The series with `share` of the usual contacts on each of the days."""
    return {m: c * share if m.date() in days else c for m, c in series.items()}


# Mondays of the synthetic series's weeks 10 and 14 (past), and of week 21 (ahead).
PAST_HOLIDAYS = [date(2024, 3, 11), date(2024, 4, 8)]
HOLIDAY_AHEAD = date(2024, 5, 20)


def test_a_holiday_ahead_is_forecast_from_the_past_holidays_ratio():
    # Past holidays got 25 % of a usual Monday: the Monday ahead is forecast at 25 % of what
    # an ordinary Monday of that week would be, and the other days exactly as without holidays.
    exact = synthetic(20, noise=0)
    truth = synthetic(24, noise=0)
    history = with_holidays(exact, PAST_HOLIDAYS, 0.25)
    holidays = {*PAST_HOLIDAYS, HOLIDAY_AHEAD}

    next_week = forecast(history, HOLIDAY_AHEAD, 1, holidays)
    ratio = holiday_ratio(history, HOLIDAY_AHEAD, holidays)

    assert ratio.past == PAST_HOLIDAYS
    # A usual day is the mean of the week before's and the week after's: on a straight trend,
    # exactly that week's level.
    assert ratio.ratio == pytest.approx(0.25)
    for moment, predicted in next_week.items():
        expected = truth[moment] * (0.25 if moment.date() == HOLIDAY_AHEAD else 1)
        assert predicted == pytest.approx(expected, abs=1e-6)


def test_past_holidays_do_not_drag_their_weekday_down():
    exact = synthetic(20, noise=0)
    history = with_holidays(exact, PAST_HOLIDAYS, 0.0)

    ignored = forecast(history, HOLIDAY_AHEAD, 1)
    treated = forecast(history, HOLIDAY_AHEAD, 1, set(PAST_HOLIDAYS))
    truth = synthetic(21, noise=0)

    monday_ten = datetime(2024, 5, 20, 10)
    # Unaware of the holidays, a closed Monday among the 8 profile weeks costs Mondays 5 %.
    assert ignored[monday_ten] < 0.96 * truth[monday_ten]
    assert treated[monday_ten] == pytest.approx(truth[monday_ten], abs=1e-6)


def test_with_no_past_holiday_a_holiday_ahead_is_an_ordinary_day():
    exact = synthetic(20, noise=0)

    next_week = forecast(exact, HOLIDAY_AHEAD, 1, {HOLIDAY_AHEAD})

    assert holiday_ratio(exact, HOLIDAY_AHEAD, {HOLIDAY_AHEAD}).ratio is None
    assert next_week == forecast(exact, HOLIDAY_AHEAD, 1)


def test_shrinkage_is_added_to_the_unrounded_need_and_rounded_up_once():
    # Bromley's example above: 54 agents answer 79.3 % within 15 s, 55 agents 84.6 %. The
    # service level line crosses 80 % at 54 + (80 - 79.29) / (84.59 - 79.29) = 54.13 agents.
    need = agents_needed_unrounded(48, 240, 15, 0.8)

    assert need == pytest.approx(54.134, abs=0.001)
    # 30 % shrinkage: 54.13 / 0.7 = 77.3, so 78 to schedule; rounding twice gave 55 / 0.7 = 79.
    assert scheduled(need, 0.3) == 78
    # One call of 5 minutes a half-hour, 80 % within 30 s: 1 agent answers, the need before
    # rounding is 0.8 / 84.7 % = 0.945 of an agent; with 5 % shrinkage 0.995, one to schedule
    # (rounding twice gave 2); with 30 % shrinkage 1.35, two: the rule, not a rounding.
    small = agents_needed_unrounded(300 / 1800, 300, 30, 0.8)
    assert small == pytest.approx(0.8 / service_level(300 / 1800, 1, 300, 30))
    assert (scheduled(small, 0.05), scheduled(small, 0.3)) == (1, 2)
    assert scheduled(0.7, 0.3) == 1  # 0.7 / 0.7 is 1.0000000000000002 in floats


def test_agents_to_schedule_never_fall_below_agents_answering():
    for calls in range(0, 400, 7):
        traffic = calls * 240 / 1800
        whole = agents_needed(traffic, 240, 20, 0.8)
        need = agents_needed_unrounded(traffic, 240, 20, 0.8)
        assert max(0, whole - 1) <= need <= whole
        assert whole <= scheduled(need, 0.0) <= scheduled(need, 0.25)
