"""Per-day rollups: every figure they serve equals the scanned one, and a day changed since the
last rebuild is scanned until it is rebuilt (kpis.rollups)."""

import io
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app as celery_app
from kpis.dashboard.selectors import headline_figures, overview_data
from kpis.models import ContactDay, DirtyDay, RollupState
from kpis.queries import KPIS
from kpis.report import build_report
from kpis.rollups.build import rollups_rebuild, rollups_refresh
from kpis.rollups.serving import period_clean
from kpis.scope import Scope
from kpis.targets import channel_targets
from kpis.tasks import kpi_rollups_refresh
from surveys.models import AgentRating, RepeatCause, RepeatCauseCode, Reporter, Response
from tickets.records import ContactRecord, TicketRecord
from tickets.services import contacts_upsert, tickets_upsert

pytestmark = pytest.mark.django_db

ROLLED_UP = [
    "satisfaction", "fcr", "exchanges", "repeat", "aht", "phone_answer", "perception_gap",
    "repeat_causes", "satisfaction_by_exchanges", "satisfaction_by_repeat",
    "satisfaction_by_answer_target", "declared_resolution", "speed_of_answer",
    "chatbot_handoff", "contact_cost",
]  # fmt: skip
CUTS = ["", "month", "channel", "team", "agent", "week,team", "day,channel", "month,agent",
        "month,reason"]  # fmt: skip
T0 = datetime(2024, 3, 1, tzinfo=UTC)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def served(scope: Scope) -> dict[str, list]:
    """Each rolled-up KPI's rows, and which of them were read from the rollups."""
    return {name: KPIS[name](scope).rows for name in ROLLED_UP}


def scanned(scope: Scope, settings) -> dict[str, list]:
    settings.KPI_ROLLUPS = False
    try:
        return served(scope)
    finally:
        settings.KPI_ROLLUPS = True


def reads_rollups(run) -> bool:
    with CaptureQueriesContext(connection) as queries:
        run()
    return any("kpis_contactday" in q["sql"] or "kpis_ticketday" in q["sql"] for q in queries)


def scopes(start: date, end: date, teams: list[str]) -> list[Scope]:
    out = [Scope.parse(start.isoformat(), end.isoformat(), by) for by in CUTS]
    out += [Scope(start, end, "month", (), {"team": teams[0]}), Scope(start, end, None, (),
            {"channel": "phone,chat"})]  # fmt: skip
    # A part of the period, cut mid-month.
    out.append(Scope(start + timedelta(days=9), end - timedelta(days=5), "week", ("channel",)))
    return out


def assert_same_figures(settings, start: date, end: date, teams: list[str]) -> None:
    for scope in scopes(start, end, teams):
        assert served(scope) == scanned(scope, settings), scope


# --- random histories arriving out of order through the API path ------------------------------


def _contact(rng: random.Random, i: int, tickets: dict) -> ContactRecord:
    ticket = rng.choice(list(tickets))
    customer, reason = tickets[ticket]
    at = T0 + timedelta(days=rng.randrange(60), seconds=rng.randrange(86400))
    channel = rng.choice(["phone", "chat", "email", "phone", "chatbot"])
    inbound = rng.random() < 0.85
    answered = None if (channel == "phone" and rng.random() < 0.2) else at + timedelta(
        seconds=rng.randrange(600))  # fmt: skip
    team = rng.choice(["t1", "t2", "t3"])
    return ContactRecord(
        external_id=f"C{i}", customer=customer, channel=channel, reason=reason,
        direction="inbound" if inbound else "outbound", started_at=at, ticket=ticket,
        agent=f"{team}-a{rng.randrange(2)}" if answered else None,
        team=team if answered else None, answered_at=answered,
        handle_seconds=rng.randrange(30, 900) if answered else None,
    )  # fmt: skip


def _ticket(rng: random.Random, ext: str, customer: str, reason: str) -> TicketRecord:
    created = T0 + timedelta(days=rng.randrange(55), seconds=rng.randrange(86400))
    solved = created + timedelta(hours=rng.randrange(1, 24 * 10)) if rng.random() < 0.8 else None
    return TicketRecord(ext, customer, reason, created, "normal", solved)


def _answer(rng: random.Random, contact) -> None:
    kind = rng.choice(list(SCALES))
    low, high = SCALES[kind]
    Response.objects.create(
        contact=contact, ticket=contact.ticket, kind=kind, score=rng.randint(low, high),
        scale_min=low, scale_max=high,
        responded_at=contact.started_at + timedelta(hours=rng.randrange(1, 72)),
    )  # fmt: skip
    if contact.direction == "inbound":  # a cause, given again: a new code and day
        answered = contact.started_at + timedelta(hours=rng.randrange(1, 96))
        RepeatCause.objects.update_or_create(
            contact=contact,
            reporter=rng.choice(list(Reporter)),
            defaults={"code": rng.choice(list(RepeatCauseCode)), "answered_at": answered},
        )
    if contact.agent_id:  # the agent's own reading, given again: a new score and day
        AgentRating.objects.update_or_create(contact=contact, defaults={
            "agent_id": contact.agent_id, "score": rng.randint(1, 5),
            "rated_at": contact.started_at + timedelta(hours=rng.randrange(1, 48)),
        })  # fmt: skip


def _rates() -> None:
    """One team paid by the hour, one by the contact, one without a rate (not costed)."""
    from tickets.models import Team
    from workforce.models import TeamWorkforce

    hourly, each = Team.objects.create(external_id="t1"), Team.objects.create(external_id="t2")
    TeamWorkforce.objects.create(team=hourly, cost_per_agent_hour=Decimal("31.50"))
    TeamWorkforce.objects.create(team=each, outsourced=True, price_per_contact=Decimal("3.20"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_arriving_out_of_order_are_served_exactly(settings, seed):
    from tickets.models import Contact

    rng = random.Random(seed)
    _rates()
    tickets = {f"T{i}": (f"cu{rng.randrange(4)}", rng.choice(["billing", "delivery"]))
               for i in range(25)}  # fmt: skip
    tickets_upsert([_ticket(rng, t, *cr) for t, cr in tickets.items()])
    records = [_contact(rng, i, tickets) for i in range(80)]
    contacts_upsert(records[:40])
    for contact in Contact.objects.order_by("?")[:20]:
        _answer(rng, contact)
    rollups_rebuild()
    start, end = date(2024, 2, 20), date(2024, 5, 15)
    assert period_clean(Scope(start, end))
    assert reads_rollups(lambda: served(Scope(start, end, "month")))
    assert_same_figures(settings, start, end, ["t1"])

    # Later contacts arrive in random order, earlier ones are moved and re-segmented, tickets
    # are solved, reopened and moved: each batch marks its days dirty.
    late = records[40:]
    rng.shuffle(late)
    for batch in (late[:15], late[15:30], late[30:]):
        contacts_upsert(batch)
        moved = [
            ContactRecord(**{
                **{f: getattr(r, f) for f in r.__slots__},
                "started_at": r.started_at + timedelta(days=rng.randrange(-9, 9)),
                "answered_at": None, "agent": None, "team": None, "handle_seconds": None,
                "channel": rng.choice(["chat", "email"]),
            })
            for r in rng.sample(records[:40], 5)
        ]  # fmt: skip
        contacts_upsert(moved)
        tickets_upsert([_ticket(rng, t, *tickets[t]) for t in rng.sample(list(tickets), 5)])
        for contact in Contact.objects.order_by("?")[:3]:
            _answer(rng, contact)
        assert DirtyDay.objects.exists()
        assert_same_figures(settings, start, end, ["t2"])  # dirty days: scanned

        rollups_refresh()

        assert not DirtyDay.objects.exists()
        assert period_clean(Scope(start, end))
        assert reads_rollups(lambda: served(Scope(start, end, "month")))
        assert_same_figures(settings, start, end, ["t2"])


# --- the dirty-day rule -----------------------------------------------------------------------


def test_a_dirty_day_alone_is_scanned_until_it_is_rebuilt(settings):
    contacts_upsert([ContactRecord("1", "cu", "phone", "billing", "inbound", T0, ticket="T1")])
    rollups_rebuild()
    march = Scope(date(2024, 3, 1), date(2024, 3, 31))
    april = Scope(date(2024, 4, 1), date(2024, 4, 30))
    assert period_clean(march) and period_clean(april)

    contacts_upsert([ContactRecord("2", "cu", "phone", "billing", "inbound", T0 + timedelta(
        days=1), ticket="T1")])  # fmt: skip

    assert not period_clean(march)  # the new contact's day and the week around it
    assert period_clean(april)
    dirty = sorted({d for d in DirtyDay.objects.values_list("day", flat=True) if d.month == 3})
    with CaptureQueriesContext(connection) as queries:
        assert KPIS["repeat"](march).rows[0][:3] == [2, 1, 50.0]
    read = [q["sql"] for q in queries]
    # The other days of March from the rollups; the history only over the dirty days.
    assert any("kpis_contactday" in sql for sql in read)
    [history] = [sql for sql in read if "tickets_contact" in sql]
    # The end of the last dirty day, as the database writes it: local (PostgreSQL) or UTC
    # (SQLite keeps naive UTC).
    end = timezone.make_aware(datetime.combine(dirty[-1] + timedelta(days=1), time.min))
    ends = (f"< '{end.date()}", f"< '{end.astimezone(UTC):%Y-%m-%d %H:%M}")
    assert any(shown in history for shown in ends) and "2024-04-01" not in history

    kpi_rollups_refresh.apply()

    assert period_clean(march)
    assert reads_rollups(lambda: KPIS["repeat"](march))
    assert KPIS["repeat"](march).rows[0][:3] == [2, 1, 50.0]


# --- the productivity panel: chatbot hand-offs and costs ---------------------------------------


def _reads(run) -> tuple[str, str]:
    """What a run read: the part rollups' entries named, and the history's queries."""
    with CaptureQueriesContext(connection) as queries:
        run()
    read = [q["sql"] for q in queries]
    parts = " ".join(sql for sql in read if "kpis_partday" in sql)
    history = " ".join(sql for sql in read if 'FROM "tickets_contact"' in sql)
    return parts, history


def _session_and_costs() -> None:
    """A chatbot session on March 4th, and contacts handled by a team paid by the hour."""
    _rates()
    contacts_upsert([
        ContactRecord("S", "cu", "chatbot", "billing", "inbound", T0 + timedelta(days=3),
                      ticket="T1"),
        ContactRecord("H", "other", "phone", "delivery", "inbound", T0 + timedelta(days=20),
                      ticket="T2", agent="a1", team="t1",
                      answered_at=T0 + timedelta(days=20, seconds=30), handle_seconds=600),
    ])  # fmt: skip


def handoffs(scope: Scope) -> list[dict]:
    return KPIS["chatbot_handoff"](scope.with_(by=("reason",))).records()


def test_a_late_contact_dirties_the_chatbot_sessions_day_until_it_is_rebuilt(settings):
    settings.FCR_WINDOW_DAYS = 7
    _session_and_costs()
    rollups_rebuild()
    march = Scope(date(2024, 3, 1), date(2024, 3, 31))
    parts, history = _reads(lambda: (handoffs(march), KPIS["contact_cost"](march)))
    assert "chatbot_handoff.0" in parts and "contact_cost.0" in parts and not history
    assert [(r["reason"], r["sessions"], r["handed_off"]) for r in handoffs(march)] == [
        ("billing", 1, 0)
    ]

    # The customer calls about it six days later: the session's day, not only the call's,
    # is what changes.
    contacts_upsert([ContactRecord(
        "P", "cu", "phone", "billing", "inbound", T0 + timedelta(days=9), ticket="T1",
    )])  # fmt: skip

    session_day = date(2024, 3, 4)
    assert DirtyDay.objects.filter(day=session_day).exists()
    _parts, history = _reads(lambda: handoffs(march))
    assert history  # the dirty days scanned, the others read from the rollups
    assert "2024-04-01" not in history
    [row] = handoffs(march)
    assert (row["sessions"], row["handed_off"]) == (1, 1)
    assert served(march) == scanned(march, settings)

    rollups_refresh()

    parts, history = _reads(lambda: handoffs(march))
    assert "chatbot_handoff.0" in parts and not history
    [row] = handoffs(march)
    assert (row["sessions"], row["handed_off"]) == (1, 1)
    assert served(march) == scanned(march, settings)


def test_handoffs_follow_the_facts_window_through_a_change_of_it(settings):
    settings.FCR_WINDOW_DAYS = 7
    _session_and_costs()
    contacts_upsert([ContactRecord(
        "P", "cu", "email", "billing", "inbound", T0 + timedelta(days=8), ticket="T1",
    )])  # fmt: skip  # five days after the session: a hand-off within 7 days, not within 3
    rollups_rebuild()
    march = Scope(date(2024, 3, 1), date(2024, 3, 31))
    assert handoffs(march)[0]["handed_off"] == 1

    settings.FCR_WINDOW_DAYS = 3

    # The facts are still those of 7 days: until rebuilt, scanned with their window.
    assert not period_clean(march)
    assert handoffs(march)[0]["handed_off"] == 1
    assert served(march) == scanned(march, settings)

    call_command("facts_rebuild", stdout=io.StringIO())

    assert period_clean(march)
    parts, history = _reads(lambda: handoffs(march))
    assert "chatbot_handoff.0" in parts and not history
    assert handoffs(march)[0]["handed_off"] == 0
    assert served(march) == scanned(march, settings)


def test_a_survey_answer_saved_alone_marks_its_day(settings):
    contacts_upsert([ContactRecord("1", "cu", "chat", "billing", "inbound", T0, ticket="T1")])
    rollups_rebuild()
    from tickets.models import Contact

    contact = Contact.objects.get()
    Response.objects.create(
        contact=contact, ticket=contact.ticket, kind="nps", score=9, scale_min=0, scale_max=10,
        responded_at=T0 + timedelta(days=1),
    )  # fmt: skip
    day = DirtyDay.objects.get().day
    assert not period_clean(Scope(day, day))

    rollups_refresh()

    assert KPIS["satisfaction"](Scope(day, day)).rows == scanned(Scope(day, day), settings)[
        "satisfaction"]  # fmt: skip


def test_rollups_built_in_another_zone_are_not_served_and_are_rebuilt(settings):
    settings.TIME_ZONE = "UTC"
    late = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    contacts_upsert([ContactRecord("1", "cu", "phone", "billing", "inbound", late, ticket="T1")])
    rollups_rebuild()
    settings.TIME_ZONE = "Europe/Paris"  # that contact is on April 1st there
    april = Scope(date(2024, 4, 1), date(2024, 4, 30))
    assert not period_clean(april)
    assert KPIS["repeat"](april).rows[0][0] == 1

    rollups_refresh()  # the zone changed: everything is rebuilt in the new one

    assert RollupState.objects.get().time_zone == "Europe/Paris"
    assert period_clean(april)
    assert reads_rollups(lambda: KPIS["repeat"](april))
    assert KPIS["repeat"](april).rows[0][0] == 1


def test_an_interrupted_full_build_resumes_where_it_stopped(settings):
    contacts_upsert([
        ContactRecord(str(i), "cu", "phone", "billing", "inbound", T0 + timedelta(days=20 * i),
                      ticket="T1")
        for i in range(6)
    ])  # fmt: skip

    class Stop(Exception):
        pass

    def stop_after_first(first, last, through):
        raise Stop

    with pytest.raises(Stop):
        rollups_rebuild(progress=stop_after_first)
    state = RollupState.objects.get()
    assert state.status == RollupState.BUILDING and state.built_through == date(2024, 3, 31)
    assert not period_clean(Scope(date(2024, 3, 1), date(2024, 3, 2)))  # not finished: scanned

    done = rollups_rebuild()

    assert done == (state.last_day - state.built_through).days
    assert period_clean(Scope(date(2024, 3, 1), date(2024, 3, 2)))
    assert ContactDay.objects.filter(day__lte=date(2024, 3, 31)).count() == 2
    assert_same_figures(settings, date(2024, 3, 1), date(2024, 7, 31), ["t1"])


def test_the_rebuild_command_reports_its_progress_and_cleans_the_days_it_rebuilds():
    contacts_upsert([ContactRecord("1", "cu", "phone", "billing", "inbound", T0, ticket="T1")])
    out = io.StringIO()
    call_command("kpi_rollups_rebuild", stdout=out)
    contacts_upsert([ContactRecord("2", "cu", "phone", "billing", "inbound", T0, ticket="T1")])
    assert not period_clean(Scope(date(2024, 3, 1), date(2024, 3, 2)))

    call_command("kpi_rollups_rebuild", "--from", "2024-03-01", "--to", "2024-03-02", stdout=out)

    assert "100.0%" in out.getvalue() and "2 days rebuilt." in out.getvalue()
    assert RollupState.objects.get().status == RollupState.READY
    assert period_clean(Scope(date(2024, 3, 1), date(2024, 3, 2)))
    assert not period_clean(Scope(date(2024, 3, 1), date(2024, 3, 8)))  # the window after


# --- the reference, served from the rollups ---------------------------------------------------


@pytest.fixture
def reference(settings, reference_dir):
    settings.TIME_ZONE = "UTC"
    call_command("import_history", str(reference_dir), stdout=io.StringIO())  # builds them


def test_the_import_builds_the_rollups_and_every_section_equals_the_scanned_one(
    settings, reference
):
    start, end = date(2024, 1, 1), date(2025, 6, 30)
    assert RollupState.objects.get().status == RollupState.READY
    with CaptureQueriesContext(connection) as queries:
        build_report(start, end)
    read = " ".join(q["sql"] for q in queries)
    for table in ("contactday", "ticketday", "responseday", "ratingday", "causeday"):
        assert f"kpis_{table}" in read
    # Only the backlog and the count of tickets created are read from the history.
    for table in (
        "tickets_contact",
        "surveys_response",
        "surveys_agentrating",
        "surveys_repeatcause",
    ):
        assert f'FROM "{table}"' not in read
    served_report = {k: t.rows for k, t in build_report(start, end).items()}
    settings.KPI_ROLLUPS = False
    scanned_report = {k: t.rows for k, t in build_report(start, end).items()}
    assert served_report == scanned_report
    settings.KPI_ROLLUPS = True
    assert_same_figures(settings, date(2024, 5, 3), date(2024, 11, 17), ["paris_n1"])


def test_the_overview_headlines_read_the_rollups_in_a_fixed_number_of_queries(
    settings, reference, django_assert_num_queries
):
    scope = Scope(date(2025, 5, 1), date(2025, 5, 31))
    # The headline KPIs counted together: contacts, solved tickets and answers, for the period
    # and the one before, and whether each period may be read from the rollups. The channels'
    # targets (the abandonment threshold) are read once, then cached (kpis.targets).
    channel_targets()
    with django_assert_num_queries(8), CaptureQueriesContext(connection) as queries:
        headlines, trends = headline_figures(scope)
    read = " ".join(q["sql"] for q in queries)
    assert "tickets_contact" not in read and "surveys_response" not in read

    settings.KPI_ROLLUPS = False
    scanned, scanned_trends = headline_figures(scope)
    assert scanned == headlines
    assert {k: t.rows for k, t in scanned_trends.items()} == {k: t.rows for k, t in trends.items()}


def test_the_overview_shows_the_same_figures_from_the_rollups_as_from_the_history(
    settings, reference
):
    scope = Scope(date(2025, 4, 1), date(2025, 6, 30))
    served = overview_data(scope)

    settings.KPI_ROLLUPS = False
    scanned = overview_data(scope)

    assert served.headlines == scanned.headlines
    assert served.panels == scanned.panels


def test_the_overview_panels_read_the_part_rollups_not_the_answers_nor_the_contacts(
    settings, reference
):
    from kpis.dashboard.selectors import overview_panels

    scope = Scope(date(2025, 4, 1), date(2025, 6, 30))
    _headlines, trends = headline_figures(scope)
    with CaptureQueriesContext(connection) as queries:
        served_panels = overview_panels(scope, trends)
    read = " ".join(q["sql"] for q in queries)
    assert "kpis_partday" in read
    # Only the backlog (open tickets, as of now), FCR by channel (the alarms) and the names are
    # read from the history: the productivity panel's hand-offs and costs too are rolled up.
    assert "chatbot_handoff.0" in read and "contact_cost.0" in read
    assert "surveys_response" not in read and "surveys_agentrating" not in read
    assert 'FROM "tickets_contact"' not in read

    settings.KPI_ROLLUPS = False
    assert overview_panels(scope, trends) == served_panels


def test_a_write_has_its_days_rebuilt_once_it_commits(
    django_capture_on_commit_callbacks, monkeypatch
):
    # Run the refresh in-process even where a broker is configured (CI): this test is about
    # what the task does once queued after the commit, not about the broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    contacts_upsert([ContactRecord("1", "cu", "phone", "billing", "inbound", T0, ticket="T1")])
    rollups_rebuild()
    march = Scope(date(2024, 3, 1), date(2024, 3, 31))

    with django_capture_on_commit_callbacks(execute=True):
        contacts_upsert([ContactRecord("2", "cu", "chat", "billing", "inbound", T0, ticket="T1")])

    assert not DirtyDay.objects.exists()
    assert period_clean(march)
    assert KPIS["repeat"](march.with_(by=("channel",))).rows[0][:3] == ["chat", 1, 0]


def test_an_answer_target_edited_in_the_admin_rebuilds_the_rollups_counting_within_it(
    settings, django_capture_on_commit_callbacks, eager
):
    from kpis.targets import ChannelTarget

    at = T0 + timedelta(hours=3)
    contacts_upsert([ContactRecord(
        "1", "cu", "phone", "billing", "inbound", at, ticket="T1", agent="a1", team="t1",
        answered_at=at + timedelta(seconds=25), handle_seconds=60,
    )])  # fmt: skip
    rollups_rebuild()
    march = Scope(date(2024, 3, 1), date(2024, 3, 31))
    assert KPIS["speed_of_answer"](march).records()[0]["within_target"] == 1

    target, _created = ChannelTarget.objects.get_or_create(channel="phone")
    with django_capture_on_commit_callbacks(execute=True):
        target.answer_seconds = 20
        target.save()

    assert period_clean(march)  # rebuilt by the refresh queued after the commit
    assert KPIS["speed_of_answer"](march).records()[0]["within_target"] == 0
    assert served(march) == scanned(march, settings)
