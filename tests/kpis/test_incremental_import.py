"""An import into a known history costs what it changes: facts of the customers it touched,
rollups of the days it made dirty, and nothing at all for an export sent again unchanged."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import ContactDay, DirtyDay, ResponseDay, RollupState, TicketDay
from kpis.report import build_report
from tickets import signals
from tickets.facts import facts_refresh
from tickets.models import Contact, Ticket
from tickets.records import ContactRecord
from tickets.services import contacts_upsert

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TICKETS = (
    "ticket_id,customer_id,reason,priority,created_at,solved_at\n"
    "9001,171,billing,normal,2025-03-12T09:00:00Z,2025-03-12T10:00:00Z\n"
    "9002,226,delivery,high,2025-03-12T11:00:00Z,\n"
)
CONTACTS = (
    "contact_id,ticket_id,customer_id,channel,reason,agent_id,team,direction,"
    "started_at,answered_at,ended_at,handle_seconds\n"
    "90001,9001,171,phone,billing,4,paris_n1,inbound,2025-03-12T09:00:00Z,"
    "2025-03-12T09:00:20Z,2025-03-12T09:05:00Z,280\n"
    "90002,9002,226,chat,delivery,52,lyon_n1,inbound,2025-03-12T11:00:00Z,"
    "2025-03-12T11:01:00Z,,\n"
)
RESPONSES = (
    "response_id,ticket_id,contact_id,kind,score,responded_at,comment\n"
    "r9001,9001,90001,csat,2,2025-03-13T08:00:00Z,slow\n"
)


def one_day(tmp_path: Path) -> Path:
    directory = tmp_path / "day"
    directory.mkdir()
    for name, text in (("tickets", TICKETS), ("contacts", CONTACTS), ("responses", RESPONSES)):
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def import_history(directory: Path, *args: str) -> None:
    call_command("import_history", str(directory), *args, stdout=io.StringIO())


def rollup_rows() -> dict[str, dict[int, date]]:
    """Every rollup row's primary key and day: a rebuilt day gets new rows."""
    return {
        model.__name__: dict(model.objects.values_list("pk", "day"))
        for model in (ContactDay, TicketDay, ResponseDay)
    }


def served_equals_scanned(settings) -> None:
    start, end = date(2024, 1, 1), date(2025, 6, 30)
    served = {k: t.rows for k, t in build_report(start, end).items()}
    settings.KPI_ROLLUPS = False
    try:
        assert {k: t.rows for k, t in build_report(start, end).items()} == served
    finally:
        settings.KPI_ROLLUPS = True


@pytest.fixture
def reference(settings, reference_dir):
    settings.TIME_ZONE = "UTC"
    import_history(reference_dir)
    assert RollupState.objects.get().status == RollupState.READY


def facts() -> dict[str, list]:
    return {
        "contacts": list(Contact.objects.order_by("pk").values_list(
            "pk", "is_repeat", "followed_in_window", "previous_contact_id")),
        "tickets": list(Ticket.objects.order_by("pk").values_list(
            "pk", "inbound_count", "first_inbound_contact_id", "recontact_in_window")),
    }  # fmt: skip


def test_a_one_day_import_rebuilds_the_days_it_made_dirty_and_no_other(
    settings, reference, tmp_path
):
    before = rollup_rows()

    import_history(one_day(tmp_path))

    after = rollup_rows()
    rebuilt = {
        day for name, rows in before.items() for pk, day in rows.items() if pk not in after[name]
    }
    # The contacts' days, a window before and after them (their neighbours' facts), and the
    # answer's day: nothing outside.
    assert rebuilt and min(rebuilt) >= date(2025, 3, 5) and max(rebuilt) <= date(2025, 3, 19)
    assert date(2025, 3, 12) in rebuilt
    assert not DirtyDay.objects.exists()
    served_equals_scanned(settings)
    # The facts it refreshed (only those the day may change) are those of a full refresh.
    imported = facts()
    facts_refresh()
    assert facts() == imported


def test_an_export_sent_again_unchanged_is_recognised_without_work(reference, reference_dir):
    announced = []

    def listen(sender, **kwargs):
        announced.append(sender)

    for signal in (signals.contact_recorded, signals.ticket_solved, signals.history_changed):
        signal.connect(listen, weak=False, dispatch_uid="test_listen")

    try:
        with CaptureQueriesContext(connection) as queries:
            import_history(reference_dir)
    finally:
        for signal in (signals.contact_recorded, signals.ticket_solved, signals.history_changed):
            signal.disconnect(dispatch_uid="test_listen")

    assert announced == []
    assert len(queries) <= 3, [q["sql"] for q in queries]
    assert all("kpis_" not in q["sql"] and "tickets_contact" not in q["sql"] for q in queries)


def test_a_write_by_another_path_makes_the_next_import_read_its_rows(
    settings, reference, reference_dir
):
    contact = Contact.objects.get(external_id="19875")
    contacts_upsert([ContactRecord(
        "19875", "226", "chat", "order_change", "inbound", contact.started_at,
        ticket="7167",
    )])  # fmt: skip
    assert Contact.objects.get(external_id="19875").channel == "chat"

    import_history(reference_dir)

    assert Contact.objects.get(external_id="19875").channel == "chatbot"
    served_equals_scanned(settings)
