"""The dashboard: quality managers only, a fixed number of queries, figures with their change."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group, User

from kpis.dashboard import dashboard_data
from kpis.scope import Scope
from surveys.models import Response
from tests.factories import ContactFactory
from tickets.permissions import QUALITY_MANAGERS_GROUP

pytestmark = pytest.mark.django_db

URL = "/dashboard/?from=2024-03-01&to=2024-03-31"


@pytest.fixture
def answers():
    for month, score in [(2, 1), (3, 5), (3, 4)]:
        contact = ContactFactory(started_at=datetime(2024, month, 4, tzinfo=UTC))
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind="csat", score=score, scale_min=1,
            scale_max=5, responded_at=datetime(2024, month, 4, 12, tzinfo=UTC),
        )  # fmt: skip


def _login(client, **extra) -> None:
    user = User.objects.create_user("someone", password=None, **extra)
    client.force_login(user)
    return user


def test_a_quality_manager_sees_figures_with_their_change_and_trends(client, answers):
    user = _login(client)
    user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    csat = next(h for h in response.context["data"].headlines if h.key == "csat")
    assert (csat.value, csat.n, csat.low_sample) == (100.0, 2, True)
    assert csat.change.difference == 100.0  # from 0 % in February
    body = response.content.decode()
    assert "<svg" in body and "small sample" in body
    svg = body.split("<svg", 1)[1]
    assert "<script" not in svg and 'href="http' not in svg  # nothing fetched from elsewhere


def test_someone_without_the_role_is_refused(client, answers):
    _login(client)

    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_dashboard_reads_a_fixed_number_of_queries(django_assert_num_queries, answers):
    # One scan of answers, solved tickets and contacts per period (3 x 2: the headlines, their
    # trends and the segments of the period, then the headlines of the previous one); and per
    # period (2) whether it may be read from the rollups (kpis.rollups).
    with django_assert_num_queries(8):
        data = dashboard_data(Scope(date(2024, 1, 1), date(2024, 3, 31)), "team")

    assert [h.key for h in data.headlines] == [
        "nps", "csat", "ces", "fcr", "exchanges", "repeat", "aht", "answer",
    ]  # fmt: skip
    assert [point[0] for point in data.trends["csat"]] == [
        date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1),
    ]  # fmt: skip
