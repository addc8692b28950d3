"""KPIs at their edges: empty denominators, window bounds, daylight saving, small samples."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from kpis.compare import compare
from kpis.queries import KPIS
from kpis.queries.base import Table
from kpis.scope import Scope, ScopeError
from kpis.stats import mean_change, proportion_change, t_quantile, wilson_interval
from kpis.targets import channel_targets
from surveys.models import SCALES, AgentRating, Response
from tests.factories import AgentFactory, ContactFactory, CustomerFactory, TicketFactory
from tickets.facts import facts_refresh

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def run(kpi: str, start="2024-01-01", end="2024-12-31", by="", **filters) -> Table:
    return KPIS[kpi](Scope.parse(start, end, by, filters=filters))


def only(table: Table) -> dict:
    assert len(table.rows) == 1
    return table.records()[0]


def answer(contact, kind: str, score: int, at: datetime = T0) -> Response:
    low, high = SCALES[kind]
    return Response.objects.create(
        contact=contact, ticket=contact.ticket, kind=kind, score=score,
        scale_min=low, scale_max=high, responded_at=at,
    )  # fmt: skip


def test_a_ticket_solved_with_no_inbound_contact_counts_as_solved_but_not_in_fcr():
    TicketFactory(solved_at=T0)
    ContactFactory(ticket__solved_at=T0, started_at=T0 - timedelta(hours=1))
    facts_refresh()

    figures = only(run("fcr"))

    assert figures["solved"] == 2
    assert figures["solved_no_inbound"] == 1
    assert figures["solved_with_inbound"] == 1
    assert figures["fcr_pct"] == 100.0
    assert figures["fcr_pct_all_solved"] == 50.0
    assert only(run("exchanges"))["avg_inbound_contacts"] == 0.5


def test_a_period_with_only_tickets_solved_without_contact_has_a_null_fcr():
    TicketFactory(solved_at=T0)
    facts_refresh()

    figures = only(run("fcr"))

    assert (figures["solved_with_inbound"], figures["fcr_pct"]) == (0, None)


@pytest.mark.parametrize(("gap", "repeat"), [(WEEK, True), (WEEK + timedelta(seconds=1), False)])
def test_a_contact_on_the_seventh_day_is_a_repeat_one_second_later_is_not(gap, repeat):
    customer = CustomerFactory()
    first = ContactFactory(ticket__customer=customer, ticket__solved_at=T0, started_at=T0)
    ContactFactory(ticket__customer=customer, started_at=T0 + gap)
    facts_refresh()

    contacts = only(run("repeat"))
    tickets = only(run("fcr", end="2024-03-04"))

    assert contacts["followed_7d"] == int(repeat)
    assert contacts["repeat_contacts"] == int(repeat)
    # The first ticket, solved at T0, is not solved at first contact when its customer came back.
    assert first.ticket.pk and tickets["fcr"] == int(not repeat)
    assert tickets["recontact_7d_pct"] == (100.0 if repeat else 0.0)


def test_a_month_is_cut_in_the_configured_zone_across_a_daylight_saving_change(settings):
    # 2024-03-31 22:30 UTC is 2024-04-01 00:30 in Paris (summer time began that night).
    ContactFactory(started_at=datetime(2024, 3, 31, 22, 30, tzinfo=UTC))

    settings.TIME_ZONE = "Europe/Paris"
    paris = run("repeat", "2024-03-01", "2024-04-30", "month")
    april_only = only(run("repeat", "2024-04-01", "2024-04-30"))
    settings.TIME_ZONE = "UTC"
    utc = run("repeat", "2024-03-01", "2024-04-30", "month")

    assert [(r["month"], r["inbound_contacts"]) for r in paris.records()] == [
        (date(2024, 3, 1), 0),
        (date(2024, 4, 1), 1),
    ]
    assert april_only["inbound_contacts"] == 1
    assert [(r["month"], r["inbound_contacts"]) for r in utc.records()] == [
        (date(2024, 3, 1), 1),
        (date(2024, 4, 1), 0),
    ]


def test_a_week_and_a_day_are_cut_in_the_configured_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    # Sunday 2024-03-31 22:30 UTC is Monday 00:30 in Paris: next week, next day.
    ContactFactory(started_at=datetime(2024, 3, 31, 22, 30, tzinfo=UTC))

    weeks = run("repeat", "2024-03-25", "2024-04-07", "week")
    days = run("repeat", "2024-03-31", "2024-04-01", "day")

    assert [(r["week"], r["inbound_contacts"]) for r in weeks.records()] == [
        (date(2024, 3, 25), 0),
        (date(2024, 4, 1), 1),
    ]
    assert [(r["day"], r["inbound_contacts"]) for r in days.records()] == [
        (date(2024, 3, 31), 0),
        (date(2024, 4, 1), 1),
    ]


def test_an_agent_with_no_answers_has_ratings_but_no_customer_figures():
    rated = ContactFactory(agent=AgentFactory(external_id="7"))
    AgentRating.objects.create(contact=rated, agent=rated.agent, score=5, rated_at=T0)
    answered = ContactFactory(agent=AgentFactory(external_id="12"))
    answer(answered, "csat", 2)

    gap = run("perception_gap")
    satisfaction = run("satisfaction", by="agent")

    assert [r["agent_id"] for r in satisfaction.records()] == ["12"]
    rows = {r["agent_id"]: r for r in gap.records()}
    assert list(rows) == ["7", "12"]  # ids that are numbers sort as numbers
    assert (rows["7"]["agent_csat_pct"], rows["7"]["customer_n"]) == (100.0, 0)
    assert (rows["7"]["customer_csat_pct"], rows["7"]["gap_pct"]) == (None, None)
    assert (rows["12"]["agent_n"], rows["12"]["customer_csat_pct"]) == (0, 0.0)


def test_a_segment_with_fewer_answers_than_the_minimum_is_flagged_not_hidden(settings):
    settings.KPI_MIN_SAMPLE = 3
    for score in (9, 10, 3):
        answer(ContactFactory(channel="phone"), "nps", score)
    answer(ContactFactory(channel="email"), "nps", 10)

    rows = {r["channel"]: r for r in run("satisfaction", by="channel").records()}

    assert (rows["phone"]["nps_n"], rows["phone"]["nps_low_sample"]) == (3, False)
    assert (rows["email"]["nps"], rows["email"]["nps_low_sample"]) == (100.0, True)
    assert rows["phone"]["nps"] == pytest.approx(100 / 3)
    low, high = rows["phone"]["nps_ci_low"], rows["phone"]["nps_ci_high"]
    assert -100 <= low < rows["phone"]["nps"] < high <= 100


# KPIs always cut by a key of their own (agent, channel, questionnaire, driver).
ALWAYS_CUT = {
    "perception_gap", "speed_of_answer", "response_rate", "satisfaction_by_exchanges",
    "satisfaction_by_repeat", "satisfaction_by_answer_target",
    "contact_cost",  # always cut by direction
}  # fmt: skip


@pytest.mark.parametrize("kpi", sorted(KPIS))
def test_a_period_with_no_data_is_empty_but_well_formed(kpi):
    overall = run(kpi)
    monthly = run(kpi, "2024-01-01", "2024-03-31", "month")
    by_channel = run(kpi, by="channel")

    assert overall.columns and all(len(r) == len(overall.columns) for r in overall.rows)
    months = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    if kpi in ALWAYS_CUT:  # no group to show
        assert monthly.rows == []
    elif kpi == "incoming":  # and the next month's projection
        assert [r[0] for r in monthly.rows] == [*months, date(2024, 4, 1)]
    else:
        assert sorted({r[0] for r in monthly.rows}) == months
    assert by_channel.rows == []


def test_an_empty_period_shows_every_month_with_zero_counts_and_null_ratios():
    months = run("satisfaction", "2024-01-01", "2024-03-31", "month").records()

    assert [(m["month"], m["nps_n"], m["nps"], m["nps_low_sample"]) for m in months] == [
        (date(2024, 1, 1), 0, None, True),
        (date(2024, 2, 1), 0, None, True),
        (date(2024, 3, 1), 0, None, True),
    ]


def test_filters_keep_only_the_asked_segment():
    answer(ContactFactory(channel="phone"), "csat", 5)
    answer(ContactFactory(channel="email"), "csat", 1)

    assert only(run("satisfaction", channel="email"))["csat_pct"] == 0.0
    assert only(run("satisfaction", channel="email,phone"))["csat_pct"] == 50.0


@translation.override("en")
def test_a_bad_scope_is_refused_with_a_clear_message():
    with pytest.raises(ScopeError, match="not a date"):
        Scope.parse("2024-13-01", "2024-12-31")
    with pytest.raises(ScopeError, match="Unknown dimension"):
        Scope.parse("2024-01-01", "2024-12-31", "colour")
    with pytest.raises(ScopeError, match="before its start"):
        Scope.parse("2024-12-31", "2024-01-01")


# KPIs that may be read from the per-day rollups first read whether they may (kpis.rollups).
ROLLED_UP = {"satisfaction", "fcr", "exchanges", "repeat", "aht", "phone_answer", "incoming"}
# Agents' presence has no channel: cut by channel, it reads nothing.
NO_CHANNEL = {"occupancy"}


# Rolled up in the part rollups (kpis.rollups.parts), by channel too.
PART_ROLLED_UP = {
    "satisfaction_by_exchanges", "satisfaction_by_repeat", "satisfaction_by_answer_target",
    "declared_resolution", "speed_of_answer",
}  # fmt: skip


def test_each_kpi_is_one_query(django_assert_num_queries):
    channel_targets()  # read once, then kept in the cache until a target changes
    for name in KPIS:
        # perception_gap: agents' ratings (not rolled up by channel), then customers' CSAT.
        rolled_up = name in ROLLED_UP or name in PART_ROLLED_UP
        expected = 3 if name == "perception_gap" else 2 if rolled_up else 1
        expected = 0 if name in NO_CHANNEL else expected
        # chatbot_handoff: the stored facts' window (for its aggregates, then to check that
        # the part rollup holds them), then the chatbot sessions and the chatbot's CSAT
        # answers, each from the part rollups (2 queries each).
        expected = 6 if name == "chatbot_handoff" else expected
        # contact_cost: the handled contacts per team from the part rollups (2), then the
        # teams' rates.
        expected = 3 if name == "contact_cost" else expected
        with django_assert_num_queries(expected):
            run(name, by="month,channel")


# --- significance -----------------------------------------------------------------------------


def test_a_large_change_in_csat_between_two_periods_is_significant():
    before, after = T0 - timedelta(days=60), T0
    for i in range(60):
        answer(ContactFactory(), "csat", 5 if i < 20 else 2, at=before)
        answer(ContactFactory(), "csat", 5 if i < 45 else 2, at=after)

    table = compare(
        KPIS["satisfaction"],
        Scope.parse("2024-01-01", "2024-01-31"),
        Scope.parse("2024-03-01", "2024-03-31"),
    )
    csat = next(r for r in table.records() if r["figure"] == "csat_pct")

    assert csat["test"] == "two-proportion z-test"
    assert csat["difference"] == pytest.approx(100 * 25 / 60)
    assert csat["significant"] is True


def test_a_small_change_is_not_significant():
    change = proportion_change(30, 60, 32, 60)

    assert not change.significant
    assert change.p_value == pytest.approx(0.7144, abs=1e-3)


def test_welch_t_test_on_means_matches_a_worked_example():
    # Samples [1,2,3,4,5] and [3,4,5,6,7]: t = -2.0, df = 8, two-sided p = 0.0805.
    change = mean_change(15, 55, 5, 25, 135, 5)

    assert change.statistic == pytest.approx(2.0)
    assert change.p_value == pytest.approx(0.08052, abs=1e-4)
    assert not change.significant


def test_intervals_match_published_values():
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(49.016, abs=1e-3), pytest.approx(94.332, abs=1e-3))
