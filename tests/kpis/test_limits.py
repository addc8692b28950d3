"""KPI requests are bounded: a documented maximum of rows (periods x segments), days within the
history's reach, and a compared period that ends after it starts. Each refusal is a 400 with a
message on the API and a message on the dashboard, never a 500."""

from datetime import UTC, datetime

import pytest

from kpis.scope import Scope, TooManyPoints
from tests.factories import AgentFactory, ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/{}/"


def _messages(response) -> str:
    return " ".join(str(m) for messages in response.json().values() for m in messages)


def test_a_kpi_request_over_two_centuries_by_day_is_refused(quality_manager):
    response = quality_manager.get(
        URL.format("incoming"), {"from": "1900-01-01", "to": "2099-12-31", "granularity": "day"}
    )

    assert response.status_code == 400


def test_a_kpi_request_of_more_days_than_the_maximum_is_refused_with_a_clear_message(
    quality_manager, settings
):
    settings.KPI_MAX_POINTS = 100

    response = quality_manager.get(
        URL.format("incoming"), {"from": "2024-01-01", "to": "2024-06-30", "granularity": "day"}
    )

    assert response.status_code == 400
    message = _messages(response)
    assert "182 rows" in message and "at most 100" in message
    assert "coarser granularity" in message


def test_periods_times_segments_above_the_maximum_are_refused(quality_manager, settings):
    settings.KPI_MAX_POINTS = 20
    for i in range(3):
        ContactFactory(
            agent=AgentFactory(external_id=f"A{i}"), started_at=datetime(2024, 3, 4, tzinfo=UTC)
        )
    params = {"from": "2024-03-01", "to": "2024-03-07", "granularity": "day"}

    alone = quality_manager.get(URL.format("repeat"), params)
    by_agent = quality_manager.get(URL.format("repeat"), {**params, "by": "agent"})

    assert alone.status_code == 200 and len(alone.json()["rows"]) == 7
    assert by_agent.status_code == 400
    assert "21 rows" in _messages(by_agent)


def test_the_maximum_counts_rows_not_what_the_table_would_not_show():
    scope = Scope(datetime(2024, 1, 1).date(), datetime(2024, 12, 31).date(), "month",
                  max_points=12)  # fmt: skip

    assert scope.periods == 12
    with pytest.raises(TooManyPoints):
        scope.with_(granularity="week")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1900-01-01", "2999-01-01"])
@pytest.mark.parametrize("field", ["from", "to"])
def test_extreme_dates_in_the_kpi_api_get_a_400(quality_manager, day, field):
    params = {"from": "2024-01-01", "to": "2024-01-31", field: day}

    response = quality_manager.get(URL.format("satisfaction"), params)

    assert response.status_code == 400
    assert set(response.json()) <= {"from", "to"}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2024-02-30", "soon"])
def test_extreme_or_malformed_compared_dates_get_a_400(quality_manager, day):
    params = {"from": "2024-01-01", "to": "2024-01-31", "compare_from": day,
              "compare_to": "2024-01-31"}  # fmt: skip

    response = quality_manager.get(URL.format("satisfaction"), params)

    assert response.status_code == 400
    assert "compare_from" in response.json()


def test_a_comparison_period_with_its_end_before_its_start_gets_a_400(quality_manager):
    params = {"from": "2024-03-01", "to": "2024-03-31", "compare_from": "2024-02-29",
              "compare_to": "2024-02-01"}  # fmt: skip

    response = quality_manager.get(URL.format("satisfaction"), params)

    assert response.status_code == 400
    assert "before its start" in " ".join(response.json()["compare_to"])


# --- The dashboard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["from=0001-01-01&to=2024-03-31", "from=2024-01-01&to=9999-12-31", "from=2024-13-01",
     "from=2024-03-31&to=2024-03-01"],
)  # fmt: skip
def test_extreme_dates_on_the_dashboard_give_a_message_not_a_500(manager, query):
    response = manager.get(f"/dashboard/?{query}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_a_nul_byte_in_the_dashboards_dates_gives_a_400_page(manager):
    response = manager.get("/dashboard/?from=%00", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("path", ["/dashboard/contacts/", "/dashboard/comments/"])
def test_extreme_dates_on_the_lists_name_the_field(manager, path):
    response = manager.get(f"{path}?from=0001-01-01", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "out of the days figures can be asked for" in response.content.decode()
