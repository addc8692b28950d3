"""A chatbot session is handed off when a person takes the same customer and reason within the
FCR window (7 days: the 7th day's last second included)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kpis.registry import KPIS
from kpis.scope import Scope
from tests.factories import ContactFactory, CustomerFactory

SESSION = datetime(2024, 3, 4, 10, tzinfo=UTC)


def session_then_person(after: timedelta, reason: str = "billing", channel: str = "phone"):
    customer = CustomerFactory()
    ContactFactory(
        customer=customer, channel="chatbot", reason="billing", direction="inbound",
        started_at=SESSION,
    )  # fmt: skip
    ContactFactory(
        customer=customer, channel=channel, reason=reason, direction="inbound",
        started_at=SESSION + after,
    )  # fmt: skip


def march(by: str = "month,reason") -> list[dict]:
    return KPIS["chatbot_handoff"](Scope.parse("2024-03-01", "2024-03-31", by)).records()


@pytest.mark.django_db
def test_a_person_on_the_7th_day_counts_and_one_a_second_later_does_not(settings):
    settings.FCR_WINDOW_DAYS = 7
    session_then_person(timedelta(days=7))
    session_then_person(timedelta(days=7, seconds=1))

    [row] = march()

    assert (row["month"], row["reason"]) == (date(2024, 3, 1), "billing")
    assert (row["sessions"], row["handed_off"], row["handoff_pct"]) == (2, 1, 50.0)


@pytest.mark.django_db
def test_another_reason_or_another_chatbot_session_is_no_hand_off():
    session_then_person(timedelta(hours=1), reason="delivery")
    session_then_person(timedelta(hours=1), channel="chatbot")

    rows = {r["reason"]: r for r in march()}

    assert rows["billing"]["sessions"] == 3  # the second customer came back to the chatbot
    assert rows["billing"]["handed_off"] == 0
