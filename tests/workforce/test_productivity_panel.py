"""The overview's productivity panel: occupancy by team against its band, costs, hand-offs."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kpis.dashboard.selectors import overview_data
from kpis.scope import Scope
from tests.factories import ContactFactory
from tickets.models import Agent, Team
from workforce.models import TeamWorkforce
from workforce.records import StateRecord
from workforce.services import states_write

pytestmark = pytest.mark.django_db


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_panel_shows_occupancy_beyond_its_band_costs_and_hand_offs_with_their_n():
    team = Team.objects.create(external_id="lyon", name="Lyon")
    TeamWorkforce.objects.create(
        team=team, occupancy_low_pct=50, occupancy_high_pct=70, cost_per_agent_hour=Decimal(36)
    )
    agent = Agent.objects.create(external_id="a1", team=team)
    # One hour logged in, 48 minutes handling: 80 %, above the 50-70 % band.
    states_write(
        [
            StateRecord("a1", "handling", utc("2024-03-04T09:00"), utc("2024-03-04T09:48")),
            StateRecord("a1", "available", utc("2024-03-04T09:48"), utc("2024-03-04T10:00")),
        ]
    )
    ContactFactory(
        agent=agent, team=team, reason="billing", answered_at=utc("2024-03-04T09:00"),
        started_at=utc("2024-03-04T09:00"), handle_seconds=600,
    )  # fmt: skip
    bot = ContactFactory(channel="chatbot", reason="billing", started_at=utc("2024-03-05T09:00"))
    ContactFactory(
        customer=bot.customer, ticket=bot.ticket, reason="billing",
        started_at=utc("2024-03-06T09:00"),
    )  # fmt: skip

    data = overview_data(Scope(date(2024, 3, 1), date(2024, 3, 31)))

    panel = next(p for p in data.panels if p.id == "productivity")
    occupancy, costs, handoffs = panel.tables
    row = occupancy.rows[0]
    assert [c.value for c in row] == ["Lyon", pytest.approx(80), "50\N{EN DASH}70 %", 1]
    assert row[1].alarm
    billing = next(r for r in costs.rows if r[-2].value == 1 and r[1].value is not None)
    assert billing[1].value == Decimal("6.00")  # 10 minutes at 36 an hour
    assert [c.value for c in handoffs.rows[0][1:]] == [pytest.approx(100), 1]
