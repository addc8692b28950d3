"""Erlang C against a published example, and the forecast on a series of known pattern."""

import random
from datetime import date, datetime, timedelta

import pytest

from workforce.erlang import agents_needed, mean_wait, service_level, wait_probability
from workforce.forecast import forecast, weekly_mape


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
