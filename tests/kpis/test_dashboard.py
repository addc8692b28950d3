"""The overview: quality managers only, a fixed number of queries, figures with their change."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group, User

from kpis.dashboard.headlines import headline
from kpis.dashboard.selectors import overview_data
from kpis.periods import default_period
from kpis.references import sector_references
from kpis.registry import KPIS
from kpis.rollups.build import rollups_rebuild
from kpis.scope import Scope
from kpis.targets import channel_targets
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


def _login(client, manager: bool = True) -> User:
    user = User.objects.create_user("someone", password=None)
    if manager:
        user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    client.force_login(user)
    return user


def test_a_quality_manager_sees_figures_with_their_change_and_chart_data(client, answers):
    _login(client)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    csat = next(h for h in response.context["data"].headlines if h.key == "csat")
    assert (csat.value, csat.n, csat.low_sample) == (100.0, 2, True)
    assert csat.change.difference == 100.0  # from 0 % in February
    assert csat.direction == "better" and not csat.significant  # 2 and 1 answers: no test
    body = response.content.decode()
    assert 'id="overview-charts" type="application/json"' in body
    assert "<script>" not in body and " style=" not in body and " onclick=" not in body
    assert "/static/vendor/chart.js/chart.umd.min.js" in body
    assert "too few answers to test" in body


def test_the_filters_stay_in_every_drill_down_and_export_link(client, answers):
    _login(client)

    response = client.get(URL + "&channel=email&team=team_x", HTTP_ACCEPT_LANGUAGE="en")

    data = response.context["data"]
    # The phone answer rate is about phone calls whatever the page's channel.
    links = [h.link for h in data.headlines if h.key != "answer"]
    links += [url for _label, csv, xlsx in response.context["exports"] for url in (csv, xlsx)]
    assert links and all("channel=email" in u and "team=team_x" in u for u in links)
    assert all("from=2024-03-01" in u and "to=2024-03-31" in u for u in links)


def test_a_falling_repeat_rate_is_better_and_significance_needs_both_samples(settings):
    settings.KPI_MIN_SAMPLE = 30
    kpi = KPIS["repeat"]
    (figure,) = kpi.figures

    def counts(followed: int, inbound: int) -> dict:
        return {"followed_7d": followed, "inbound_contacts": inbound, "repeat_contacts": 0}

    large = headline(kpi, figure, counts(200, 1000), counts(400, 1000))
    tiny = headline(kpi, figure, counts(2, 10), counts(400, 1000))

    assert large.direction == "better" and large.significant
    assert not tiny.testable and not tiny.significant


def test_someone_without_the_role_is_refused(client, answers):
    _login(client, manager=False)

    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_bad_date_is_named_and_the_page_still_answers(client, answers):
    _login(client)

    response = client.get("/dashboard/?from=yesterday", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "from: Enter a valid date." in response.content.decode()


def test_an_empty_selection_says_so_in_the_page_language(client, answers):
    _login(client)

    response = client.get("/dashboard/?from=2020-01-01&to=2020-01-31", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.context["data"].empty
    assert "Aucun contact, ticket ni réponse" in response.content.decode()


def test_the_default_period_is_the_last_three_full_months_with_data(answers):
    # The last contact is in March 2024: the months in progress long after are not shown.
    assert default_period(date(2026, 12, 6)) == (date(2024, 1, 1), date(2024, 3, 31))
    ContactFactory(started_at=datetime(2026, 12, 2, tzinfo=UTC))
    assert default_period(date(2026, 12, 6)) == (date(2026, 9, 1), date(2026, 11, 30))


def test_the_overview_reads_a_fixed_number_of_queries(django_assert_num_queries, answers):
    # Headlines: answers, solved tickets and contacts, each counted once for the period by
    # month and once for the previous period (6), and whether each period may be read from the
    # rollups (2); panels: declared resolution, repeat causes, repeat by reason, perception by
    # team and by agent (2 each), three drivers, speed of answer, backlog, incoming flow, team
    # and agent names (2), FCR by channel for its alarms (1), the rollups' state for the period
    # (1); productivity: occupancy by team and its bands (2), chatbot hand-offs' sessions and
    # answers (2), costs and rates (2), the stored facts' window each time the hand-offs'
    # aggregates are built (4: the last to check that the part rollup holds them). The
    # channels' targets and the sector references are read once, then cached (kpis.targets,
    # kpis.references).
    channel_targets()
    sector_references()
    with django_assert_num_queries(34):
        data = overview_data(Scope(date(2024, 1, 1), date(2024, 3, 31), filters={"team": "x"}))

    assert [h.key for h in data.headlines] == [
        "nps", "csat", "ces", "fcr", "exchanges", "repeat", "aht", "answer",
    ]  # fmt: skip
    assert [p.id for p in data.panels] == [
        "satisfaction", "resolution", "repeat", "perception", "drivers", "handling", "backlog",
        "flow", "productivity",
    ]  # fmt: skip


def test_the_panels_are_cached_until_the_history_changes(
    client, answers, django_assert_max_num_queries
):
    rollups_rebuild()  # from now on writes are followed
    _login(client)
    client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    panels = 'id="table-satisfaction"'

    with django_assert_max_num_queries(20):  # headlines and the data version, not the panels
        cached = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    contact = ContactFactory(started_at=datetime(2024, 3, 10, tzinfo=UTC))
    Response.objects.create(
        contact=contact, ticket=contact.ticket, kind="nps", score=10, scale_min=0,
        scale_max=10, responded_at=datetime(2024, 3, 10, 12, tzinfo=UTC),
    )  # fmt: skip
    fresh = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    march_nps = 'March 2024</a></th><td class="number">'
    assert march_nps + "\N{EN DASH}" in cached.split(panels)[1]  # no NPS answer in March yet
    assert march_nps + "100.0" in fresh.split(panels)[1]


def test_the_refresh_after_a_write_computes_the_panels_before_any_request(
    client, answers, django_capture_on_commit_callbacks, eager, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpis.tasks import kpi_rollups_refresh
    from tickets.models import Contact

    rollups_rebuild()
    _login(client)
    start, _end = default_period()
    at = datetime.combine(start, datetime.min.time(), UTC)
    contact: Contact = ContactFactory(started_at=at)  # type: ignore[assignment]
    with django_capture_on_commit_callbacks(execute=True):
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind="nps", score=10, scale_min=0,
            scale_max=10, responded_at=contact.started_at,
        )  # fmt: skip
    kpi_rollups_refresh.apply()  # as queued after the commit, whatever ran in between

    for language in ("fr", "en"):
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=language)
        read = " ".join(q["sql"] for q in queries)
        assert 'id="table-satisfaction"' in page.content.decode()
        # The headlines are read; the panels (drivers, backlog...) were computed already.
        assert "kpis_partday" not in read
        assert '"tickets_ticket"."solved_at" IS NULL' not in read  # the backlog
