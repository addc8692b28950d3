"""Shrinkage per channel: the breaks of the agents who answered it, weighted by their contacts."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import AgentFactory, ContactFactory
from workforce.records import StateRecord
from workforce.services import states_write
from workforce.staffing import channel_shrinkages

pytestmark = pytest.mark.django_db

DAY = date(2024, 3, 5)


def shift(agent: str, break_minutes: int) -> list[StateRecord]:
    """An hour logged in from 09:00 UTC, the last `break_minutes` of it on a break."""
    start = datetime(2024, 3, 5, 9, tzinfo=UTC)
    pause = start + timedelta(minutes=60 - break_minutes)
    return [
        StateRecord(agent, "available", start, pause),
        StateRecord(agent, "break", pause, start + timedelta(hours=1)),
    ]


def calls(agent: str, channel: str, count: int) -> None:
    for minute in range(count):
        start = datetime(2024, 3, 5, 9, minute, tzinfo=UTC)
        ContactFactory(
            agent=AgentFactory(external_id=agent), channel=channel, started_at=start,
            answered_at=start + timedelta(seconds=10),
        )  # fmt: skip


def test_each_channel_gets_the_breaks_of_its_own_agents_weighted_by_their_contacts():
    # Phone agent: 6 min of breaks an hour (10 %); chat agent: 18 min (30 %); a blended agent
    # with as many calls as chats: 12 min (20 %), counting half an hour for each channel.
    calls("phone-only", "phone", 4)
    calls("chat-only", "chat", 4)
    calls("blended", "phone", 2)
    calls("blended", "chat", 2)
    states_write(shift("phone-only", 6) + shift("chat-only", 18) + shift("blended", 12))

    shrink = channel_shrinkages(["phone", "chat", "email"], DAY, DAY)

    # Phone: (6 + 12 / 2) / (60 + 60 / 2) = 12 / 90; chat: (18 + 6) / 90 = 24 / 90.
    assert shrink["phone"].share == pytest.approx(12 / 90)
    assert shrink["chat"].share == pytest.approx(24 / 90)
    assert (shrink["phone"].agents, shrink["phone"].logged_in_hours) == (2, 1.5)
    assert shrink["phone"].per_channel and shrink["chat"].per_channel
    # No agent answered email: the whole centre's 36 min / 3 h.
    assert not shrink["email"].per_channel
    assert shrink["email"].share == pytest.approx(36 / 180)
