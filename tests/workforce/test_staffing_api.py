"""The staffing API: next month's half-hours for one channel, as the page and its CSV plan them."""

from datetime import datetime, time

import pytest
from django.utils import timezone

from tests.tickets.conftest import agent  # noqa: F401
from tests.workforce.test_staffing_page import history  # noqa: F401
from tickets.tokens import TokenScope
from workforce.staffing import next_month

URL = "/api/v1/staffing/"


def test_a_manager_reads_the_phone_plan_per_half_hour(quality_manager, history):  # noqa: F811
    first, last = next_month(timezone.localdate())

    body = quality_manager.get(URL, {"channel": "phone"}).json()

    assert (body["channel"], body["period"]) == (
        "phone",
        {"from": first.isoformat(), "to": last.isoformat()},
    )
    assert body["aht_seconds"] == 300
    slots = [(datetime.fromisoformat(s["start"]), s) for s in body["slots"]]
    assert len(slots) == ((last - first).days + 1) * 48
    weekday_ten = [s for start, s in slots if start.time() == time(10) and start.weekday() < 5]
    assert weekday_ten
    for s in weekday_ten:
        assert s["contacts"] == pytest.approx(1, abs=0.01)
        assert 1 <= s["agents_answering"] <= s["agents_needed"]
    night = [s for start, s in slots if start.time() == time(3)]
    assert all(s["contacts"] == 0 and s["agents_needed"] == 0 for s in night)


def test_a_token_with_the_kpi_read_scope_may_read_it_another_may_not(token_client, history):  # noqa: F811
    assert token_client(TokenScope.KPI_READ).get(URL, {"channel": "chat"}).status_code == 200
    others = [s for s in TokenScope.values if s != TokenScope.KPI_READ]
    assert token_client(*others).get(URL, {"channel": "chat"}).status_code == 403


def test_an_agent_is_refused_and_an_unplanned_channel_named(agent, quality_manager):  # noqa: F811
    assert agent.get(URL, {"channel": "phone"}).status_code == 403

    response = quality_manager.get(URL, {"channel": "email"})

    assert response.status_code == 400
    assert "channel" in response.json()
