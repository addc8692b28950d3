"""The staffing page: quality managers only, next month's half-hours on the page and in the CSV."""

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tests.factories import AgentFactory, ContactFactory, TicketFactory
from tickets.models import Contact
from tickets.permissions import QUALITY_MANAGERS_GROUP
from workforce import staffing
from workforce.presence import zone
from workforce.staffing import next_month

pytestmark = pytest.mark.django_db

URL = "/dashboard/staffing/"


@pytest.fixture
def history():
    """Six whole weeks of phone calls, 10:00 and 10:30 each weekday, 5 minutes each."""
    ticket, agent = TicketFactory(), AgentFactory()
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    for day in range(1, 6 * 7 + 1):
        when = monday - timedelta(days=day)
        if when.weekday() >= 5:
            continue
        for minute in (0, 30):
            start = datetime.combine(when, time(10, minute), tzinfo=zone())
            ContactFactory(ticket=ticket, agent=agent, started_at=start, handle_seconds=300)


def _login(client, manager: bool = True) -> User:
    user = User.objects.create_user("someone", password=None)
    if manager:
        user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    else:
        AgentFactory(user=user)
    client.force_login(user)
    return user


def test_a_manager_sees_next_months_forecast_and_agents(client, history):
    _login(client)
    first, _last = next_month(timezone.localdate())
    weekday = first + timedelta(days=(7 - first.weekday()) % 7)  # the month's first Monday

    response = client.get(URL, {"day": weekday.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert "10:00" in page and "10:30" in page
    assert "no agent state in the last 13 weeks" in page  # the default shrinkage, said
    slots = {s.start.time(): s for s in response.context["channels"][0]["slots"]}
    assert slots[time(10, 0)].contacts == pytest.approx(1, abs=0.01)
    assert slots[time(10, 0)].answering >= 1
    assert slots[time(10, 0)].scheduled >= slots[time(10, 0)].answering


def test_an_agent_is_refused(client, history):
    _login(client, manager=False)

    assert client.get(URL).status_code == 403


def test_the_csv_has_every_half_hour_of_next_month_per_channel(client, history):
    _login(client)
    first, last = next_month(timezone.localdate())

    response = client.get(URL, {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="fr")

    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:3] == ["Canal", "Date", "Début de la demi-heure"]
    phone = [r for r in rows[1:] if r[0] == "Téléphone"]
    days = {r[1] for r in phone}
    assert min(days) == first.isoformat() and max(days) == last.isoformat()
    assert len({(r[1], r[2]) for r in phone}) == len(phone) == len(days) * 48
    weekday_ten = [
        r for r in phone if r[2] == "10:00" and datetime.fromisoformat(r[1]).weekday() < 5
    ]
    assert all(float(r[3].replace(",", ".")) > 0.9 and int(r[5]) >= 1 for r in weekday_ten)
    # Agents needed is the column before it, rounded up once.
    for r in weekday_ten:
        unrounded, needed = float(r[6].replace(",", ".")), int(r[5])
        assert needed - 1 < unrounded + 0.005 and unrounded - 0.005 <= needed


def test_a_holiday_is_named_on_the_page_and_in_the_csv_and_forecast_from_past_ones(
    client, history, monkeypatch
):
    # The history's last Wednesday was a holiday nobody called on: the month's first Monday,
    # a holiday too, is forecast at 0 % of a usual Monday, and flagged.
    _login(client)
    first, _last = next_month(timezone.localdate())
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    this_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    wednesday = this_monday - timedelta(days=5)
    Contact.objects.filter(started_at__date=wednesday).delete()
    holidays = {wednesday: "Fête passée", monday: "Fête à venir"}
    monkeypatch.setattr(
        staffing, "public_holidays", lambda a, b: {d: n for d, n in holidays.items() if a <= d <= b}
    )

    page = client.get(URL, {"day": monday.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    body = client.get(URL, {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "public holiday: Fête à venir" in page.content.decode()
    [phone] = [c for c in page.context["channels"] if c["plan"].channel == "phone"]
    assert phone["holiday_pct"] == 0
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][-1] == "Public holiday"
    holiday = [r for r in rows[1:] if r[1] == monday.isoformat() and r[2] == "10:00"]
    ordinary = [r for r in rows[1:] if r[1] == (monday + timedelta(days=7)).isoformat()]
    assert [r[-1] for r in holiday] == ["Fête à venir"]  # the phone; no chat in the history
    assert float(holiday[0][3]) == 0 and int(holiday[0][5]) == 0
    assert {r[-1] for r in ordinary} == {""}
