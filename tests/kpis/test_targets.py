"""Each channel's targets, set in the admin (blank: the settings' defaults), and the overview's
alarms that read them."""

from datetime import UTC, date, datetime, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from kpis.dashboard.selectors import overview_data
from kpis.registry import KPIS
from kpis.scope import Scope
from kpis.targets import ChannelTarget, channel_targets
from tests.factories import ContactFactory, TicketFactory
from tickets.facts import facts_refresh
from tickets.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


MARCH = Scope(date(2024, 3, 1), date(2024, 3, 31))
T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)


def _set(channel: str, **values) -> None:
    """As a manager does it in the admin."""
    admin = User.objects.create_superuser(f"admin-{channel}", "a@example.com", "pw")
    client = Client()
    client.force_login(admin)
    target, _new = ChannelTarget.objects.get_or_create(channel=channel)
    fields = {"answer_seconds": "", "fcr_pct": "", "abandonment_alert_pct": ""}
    fields.update({k: str(v) for k, v in values.items()})
    response = client.post(f"/admin/kpis/channeltarget/{target.pk}/change/", fields)
    assert response.status_code == 302, response.content


def test_every_channel_has_a_row_whose_blank_fields_follow_the_settings(settings):
    settings.KPI_FCR_TARGET_PCT = 80.0
    seed = import_module("kpis.migrations.0005_channel_targets")
    seed.one_row_per_channel(apps, None)  # as migrated (a flushing test may have emptied it)

    targets = channel_targets()

    assert ChannelTarget.objects.count() == len(targets) == 8
    assert targets["phone"].answer_seconds == settings.KPI_ANSWER_TARGET_SECONDS["phone"]
    assert targets["email"].fcr_pct == 80.0


def test_an_answer_target_set_in_the_admin_counts_at_once():
    ContactFactory(channel="chat", started_at=T0, answered_at=T0 + timedelta(seconds=90))
    before = KPIS["speed_of_answer"](MARCH).records()[0]

    _set("chat", answer_seconds=60)

    after = KPIS["speed_of_answer"](MARCH).records()[0]
    assert (before["target_seconds"], before["within_target_pct"]) == (120, 100.0)
    assert (after["target_seconds"], after["within_target_pct"]) == (60, 0.0)
    alarms = overview_data(MARCH).alarms
    assert any("60 s" in message for message, _link in alarms)


def test_the_abandonment_alarm_follows_the_phone_threshold():
    for i in range(10):  # one abandoned call in ten: 10 %
        start = T0 + timedelta(minutes=i)
        answered = None if i == 0 else start + timedelta(seconds=10)
        ContactFactory(channel="phone", started_at=start, answered_at=answered)
    assert any("abandoned" in message for message, _link in overview_data(MARCH).alarms)

    _set("phone", abandonment_alert_pct=12)

    assert not any("abandoned" in message for message, _link in overview_data(MARCH).alarms)


def test_a_channel_under_its_fcr_target_raises_an_alarm_once_the_sample_is_large(settings):
    settings.KPI_MIN_SAMPLE = 4
    for i in range(5):  # two tickets of five took two contacts: FCR 60 %
        ticket = TicketFactory(created_at=T0, solved_at=T0 + timedelta(hours=3))
        ContactFactory(ticket=ticket, channel="email", started_at=T0 + timedelta(minutes=i))
        if i < 2:
            ContactFactory(ticket=ticket, channel="email", started_at=T0 + timedelta(hours=2))
    facts_refresh(Customer.objects.values_list("pk", flat=True))  # factories bypass the services

    alarms = overview_data(MARCH).alarms
    _set("email", fcr_pct=50)

    assert [link for _m, link in alarms if "channel=email" in link and "fcr=0" in link]
    assert not any("first contact" in message for message, _link in overview_data(MARCH).alarms)
