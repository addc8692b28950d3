"""import_history: every reference row in, twice with the same result, and bad rows named."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation

from tickets import signals
from tickets.facts import facts_refresh, facts_refresh_scoped
from tickets.models import Agent, Contact, Customer, Team, Ticket
from tickets.records import ContactRecord, TicketRecord
from tickets.services import contacts_upsert, tickets_upsert

TICKETS_HEADER = "ticket_id,customer_id,reason,priority,created_at,solved_at\n"
CONTACTS_HEADER = (
    "contact_id,ticket_id,customer_id,channel,reason,agent_id,team,direction,"
    "started_at,answered_at,ended_at,handle_seconds\n"
)
GOOD_TICKETS = (
    TICKETS_HEADER
    + "t1,c1,billing,normal,2024-03-01T09:00:00Z,2024-03-01T10:00:00Z\n"
    + "t2,c2,delivery,high,2024-03-02T09:00:00Z,\n"
)
GOOD_CONTACTS = (
    CONTACTS_HEADER
    + "1,t1,c1,phone,billing,a1,lyon,inbound,2024-03-01T09:00:00Z,2024-03-01T09:00:20Z,"
    "2024-03-01T09:05:00Z,280\n"
    + "2,t1,c1,email,billing,a1,lyon,outbound,2024-03-01T09:30:00Z,,,\n"
    + "3,t2,c2,chat,delivery,a2,paris,inbound,2024-03-02T09:00:00Z,2024-03-02T09:01:00Z,,\n"
)


def history(tmp_path: Path, **files: str) -> Path:
    """A history directory: tickets.csv and contacts.csv (good by default), plus `files`."""
    contents = {"tickets": GOOD_TICKETS, "contacts": GOOD_CONTACTS, **files}
    for name, text in contents.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


def import_history(directory: Path, *args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_history", str(directory), *args, stdout=out)
    return out.getvalue()


def summary(output: str) -> dict[str, tuple[int, ...]]:
    rows = [line.split() for line in output.splitlines() if line.split()[:1] != ["file"]]
    return {r[0]: tuple(int(n) for n in r[1:]) for r in rows if r[0].endswith(".csv")}


def import_error(directory: Path, *args: str) -> str:
    with pytest.raises(CommandError) as failure:
        import_history(directory, *args)
    return str(failure.value)


def facts() -> dict[str, dict[str, tuple]]:
    """Every contact's and ticket's derived facts, by external id."""
    contacts = Contact.objects.values_list(
        "external_id", "is_repeat", "followed_in_window", "previous_contact__external_id"
    )
    tickets = Ticket.objects.values_list(
        "external_id", "inbound_count", "first_inbound_contact__external_id",
        "recontact_in_window",
    )  # fmt: skip
    return {
        "contacts": {ext: tuple(rest) for ext, *rest in contacts},
        "tickets": {ext: tuple(rest) for ext, *rest in tickets},
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- The reference history --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db
def test_every_reference_row_is_imported_and_a_second_run_changes_nothing(reference_dir):
    first = summary(import_history(reference_dir))
    after_first = facts()

    second = summary(import_history(reference_dir, "--force"))  # read row by row again
    third = summary(import_history(reference_dir))  # recognised by digest

    assert third == second
    assert first["tickets.csv"] == (7193, 0, 0, 0)
    assert first["contacts.csv"] == (19875, 0, 0, 0)
    assert (Ticket.objects.count(), Contact.objects.count()) == (7193, 19875)
    assert Agent.objects.count() == 200 and Team.objects.count() == 10
    assert Customer.objects.count() == len({r["customer_id"] for r in
                                            csv_rows(reference_dir / "tickets.csv")})  # fmt: skip
    assert second["tickets.csv"] == (0, 0, 7193, 0)
    assert second["contacts.csv"] == (0, 0, 19875, 0)
    assert facts() == after_first


@pytest.mark.slow
@pytest.mark.django_db
def test_repeat_flags_equal_those_of_the_service_path(reference_dir):
    # Rolled back rather than deleted: deleting 20,000 contacts one signal at a time (the
    # rollups the import built mark each one's days) took minutes.
    with transaction.atomic():
        import_history(reference_dir)
        imported = facts()
        transaction.set_rollback(True)
    assert not Contact.objects.exists()

    def at(text):
        from datetime import datetime

        return datetime.fromisoformat(text) if text else None

    tickets = [
        TicketRecord(r["ticket_id"], r["customer_id"], r["reason"], at(r["created_at"]),
                     r["priority"], at(r["solved_at"]))
        for r in csv_rows(reference_dir / "tickets.csv")
    ]  # fmt: skip
    contacts = [
        ContactRecord(
            r["contact_id"], r["customer_id"], r["channel"], r["reason"], r["direction"],
            at(r["started_at"]), ticket=r["ticket_id"] or None, agent=r["agent_id"] or None,
            team=r["team"] or None, answered_at=at(r["answered_at"]), ended_at=at(r["ended_at"]),
            handle_seconds=int(r["handle_seconds"]) if r["handle_seconds"] else None,
        )
        for r in csv_rows(reference_dir / "contacts.csv")
    ]  # fmt: skip
    for i in range(0, len(tickets), 2000):
        tickets_upsert(tickets[i : i + 2000])
    for i in range(0, len(contacts), 2000):
        contacts_upsert(contacts[i : i + 2000])

    assert facts() == imported
    assert sum(rep for rep, _, _ in imported["contacts"].values()) > 1000


@pytest.mark.django_db
def test_postgres_computes_the_facts_before_inserting_so_a_refresh_changes_nothing(
    postgres, tmp_path, monkeypatch
):
    monkeypatch.setattr("tickets.importing.history.facts_refresh", lambda *a, **k: None)
    import_history(history(tmp_path, contacts=GOOD_CONTACTS + (
        "4,t1,c1,phone,billing,,,inbound,2024-03-05T09:00:00Z,,,\n"
        "5,,c1,phone,billing,a1,lyon,inbound,2024-03-08T09:00:00Z,2024-03-08T09:00:01Z,,\n"
    )))  # fmt: skip
    computed = facts()

    facts_refresh()

    assert facts() == computed
    assert computed["contacts"]["4"] == (True, True, "1")
    assert computed["tickets"]["t1"] == (2, "1", True)


@pytest.mark.slow
@pytest.mark.django_db
def test_postgres_facts_of_the_reference_history_need_no_refresh(postgres, reference_dir):
    import_history(reference_dir)
    computed = facts()

    facts_refresh()

    assert facts() == computed


@pytest.mark.django_db
def test_an_import_into_a_known_history_refreshes_the_facts_it_changes(tmp_path):
    import_history(history(tmp_path))
    later = CONTACTS_HEADER + "9,,c1,phone,billing,,,inbound,2024-03-03T09:00:00Z,,,\n"
    (tmp_path / "more").mkdir()
    more = history(tmp_path / "more", contacts=later, tickets=TICKETS_HEADER)

    import_history(more)

    assert facts()["contacts"]["1"] == (False, True, None)
    assert facts()["contacts"]["9"] == (True, False, "1")
    assert facts()["tickets"]["t1"] == (1, "1", True)


@pytest.mark.django_db
def test_an_export_sent_again_with_one_change_refreshes_that_customer_only(tmp_path, monkeypatch):
    (tmp_path / "first").mkdir()
    import_history(history(tmp_path / "first"))
    refreshed = []

    def refresh(customers=None):
        refreshed.append(customers)
        facts_refresh(customers)

    def refresh_scoped(pairs_sql, tickets_sql):  # PostgreSQL: what the written rows may change
        with connection.cursor() as cursor:
            cursor.execute(pairs_sql)
            refreshed.append({customer for customer, _reason in cursor.fetchall()})
        facts_refresh_scoped(pairs_sql, tickets_sql)

    monkeypatch.setattr("tickets.importing.history.facts_refresh", refresh)
    monkeypatch.setattr("tickets.importing.postgres.facts_refresh_scoped", refresh_scoped)
    unanswered = GOOD_CONTACTS.replace(
        "2024-03-02T09:00:00Z,2024-03-02T09:01:00Z,,", "2024-03-02T09:00:00Z,,,"
    )
    assert unanswered != GOOD_CONTACTS
    (tmp_path / "again").mkdir()

    output = import_history(history(tmp_path / "again", contacts=unanswered))

    assert summary(output)["contacts.csv"] == (0, 1, 2, 0)
    assert summary(output)["tickets.csv"] == (0, 0, 2, 0)
    assert refreshed == [{Customer.objects.get(external_id="c2").pk}]
    assert Contact.objects.get(external_id="3").answered_at is None


# --- Bulk loads (PostgreSQL): foreign keys and secondary indexes dropped, then re-created ------


def schema() -> tuple[list[tuple], list[tuple]]:
    """Every index and constraint of the database, as pg_catalog defines them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() ORDER BY 1, 2"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),"
            " condeferrable, condeferred, convalidated FROM pg_constraint"
            " WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
        )
        constraints = cursor.fetchall()
    return indexes, constraints


BULK_TABLES = {
    "tickets_ticket", "tickets_contact", "surveys_response", "surveys_agentrating",
    "surveys_repeatcause",
}  # fmt: skip


@pytest.fixture
def bulk_loads(monkeypatch):
    """Every load is a bulk one; the list names the tables each import took in bulk."""
    from tickets.importing.loader import PostgresLoader

    monkeypatch.setattr("tickets.importing.loader.BULK_FROM_ROWS", 1)
    taken: list[str] = []
    prepare = PostgresLoader.bulk_prepare

    def spy(self, tables, rows, **options):
        prepare(self, tables, rows, **options)
        taken.extend(t for t in tables if t in self.bulk_tables and t not in taken)

    monkeypatch.setattr(PostgresLoader, "bulk_prepare", spy)
    return taken


SURVEY_FILES = {
    "responses": "response_id,ticket_id,contact_id,kind,score,responded_at,comment\n"
    "r1,t1,1,csat,4,2024-03-01T10:00:00Z,\nr2,t2,3,nps,9,2024-03-02T10:00:00Z,fine\n",
    "agent_ratings": "contact_id,agent_id,score,rated_at\n1,a1,5,2024-03-01T10:00:00Z\n",
    "repeat_reasons": "contact_id,reason_code,answered_at\n3,unclear_answer,2024-03-02T10:00:00Z\n",
}


@pytest.mark.django_db
def test_a_bulk_load_leaves_the_constraints_and_indexes_the_migrations_create(
    postgres, tmp_path, bulk_loads
):
    migrated = schema()

    output = import_history(history(tmp_path, **SURVEY_FILES))

    assert set(bulk_loads) == BULK_TABLES
    assert schema() == migrated
    assert summary(output)["contacts.csv"] == (3, 0, 0, 0)
    assert summary(output)["responses.csv"] == (2, 0, 0, 0)
    assert facts()["tickets"]["t1"] == (1, "1", False)
    # The foreign keys are checked again, deferred as before.
    with pytest.raises(Exception, match="foreign key"), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("UPDATE tickets_contact SET ticket_id = -1 WHERE external_id = '1'")


@pytest.mark.django_db
def test_a_large_import_failing_late_leaves_the_database_as_it_was(postgres, tmp_path, bulk_loads):
    (tmp_path / "first").mkdir()
    import_history(history(tmp_path / "first"))
    bulk_loads.clear()
    before = schema(), facts(), Customer.objects.count(), Agent.objects.count()
    contacts = GOOD_CONTACTS + "".join(
        f"{n},,c{n},phone,billing,a{n},lyon,inbound,2024-03-05T09:00:00Z,,,\n"
        for n in range(10, 200)
    )
    # The last file's last row names a contact nobody knows: found after every other file
    # was written, and their foreign keys and indexes dropped.
    responses = SURVEY_FILES["responses"] + "r3,,404,csat,4,2024-03-05T10:00:00Z,\n"
    (tmp_path / "second").mkdir()
    directory = history(tmp_path / "second", contacts=contacts, responses=responses)

    message = import_error(directory)

    assert "responses.csv, line 4, field “contact_id”" in message
    assert "tickets_contact" in bulk_loads
    assert (schema(), facts(), Customer.objects.count(), Agent.objects.count()) == before


@pytest.mark.django_db
def test_a_row_written_meanwhile_by_another_client_stops_the_import_cleanly(
    postgres, reference_dir, monkeypatch
):
    from tickets.importing.loader import PostgresLoader

    import_history(reference_dir)
    before = facts(), Customer.objects.count(), Agent.objects.count()
    # As if every table had been empty when the import looked, and filled before it wrote.
    monkeypatch.setattr(PostgresLoader, "is_empty", lambda self, table: True)

    message = import_error(reference_dir, "--force")

    assert "The database refused the import" in message and "duplicate key" in message
    assert "Nothing was imported" in message
    assert (facts(), Customer.objects.count(), Agent.objects.count()) == before


@pytest.mark.django_db
def test_a_large_import_into_a_known_history_equals_a_row_by_row_one(
    postgres, tmp_path, bulk_loads
):
    import_history(history(tmp_path))
    bulk_loads.clear()
    # More contacts than the table holds: a bulk load.
    later = (
        CONTACTS_HEADER
        + "9,,c1,phone,billing,,,inbound,2024-03-03T09:00:00Z,,,\n"
        + "".join(
            f"{n},,c{n},chat,delivery,,,inbound,2024-03-04T09:00:00Z,,,\n" for n in range(10, 14)
        )
    )
    (tmp_path / "more").mkdir()
    more = history(tmp_path / "more", contacts=later, tickets=TICKETS_HEADER)
    migrated = schema()

    import_history(more)

    assert bulk_loads == ["tickets_contact"]
    assert schema() == migrated
    assert facts()["contacts"]["9"] == (True, False, "1")
    assert facts()["tickets"]["t1"] == (1, "1", True)


# --- Small histories --------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_customers_agents_and_teams_are_created_agents_with_their_team(tmp_path):
    output = import_history(history(tmp_path))

    assert summary(output)["contacts.csv"] == (3, 0, 0, 0)
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["c1", "c2"]
    assert dict(Agent.objects.values_list("external_id", "team__external_id")) == {
        "a1": "lyon",
        "a2": "paris",
    }
    assert Contact.objects.get(external_id="1").ticket.external_id == "t1"


@pytest.mark.django_db
def test_a_changed_row_is_updated_and_counted(tmp_path):
    import_history(history(tmp_path))
    (tmp_path / "tickets.csv").write_text(GOOD_TICKETS.replace(",high,", ",urgent,"))

    output = import_history(tmp_path)

    assert summary(output)["tickets.csv"] == (0, 1, 1, 0)
    assert summary(output)["contacts.csv"] == (0, 0, 3, 0)
    assert Ticket.objects.get(external_id="t2").priority == "urgent"


@pytest.mark.django_db
def test_one_signal_per_kind_for_the_whole_import(tmp_path):
    calls = []

    def listener(signal, **kwargs):
        calls.append((signal, kwargs))

    for signal in (signals.contact_recorded, signals.ticket_solved):
        signal.connect(listener, weak=False, dispatch_uid=f"test-{id(signal)}")
    try:
        import_history(history(tmp_path))
    finally:
        for signal in (signals.contact_recorded, signals.ticket_solved):
            signal.disconnect(dispatch_uid=f"test-{id(signal)}")

    kinds = [signal for signal, _ in calls]
    assert kinds.count(signals.contact_recorded) == 1
    assert kinds.count(signals.ticket_solved) == 1
    recorded = next(kw for signal, kw in calls if signal is signals.contact_recorded)
    solved = next(kw for signal, kw in calls if signal is signals.ticket_solved)
    assert recorded["source"] == "import" and len(recorded["created"]) == 3
    assert solved["ticket_ids"] == [Ticket.objects.get(external_id="t1").pk]


@pytest.mark.django_db
def test_nothing_is_announced_when_nothing_changed(tmp_path):
    import_history(history(tmp_path))
    calls = []
    signals.contact_recorded.connect(lambda **kw: calls.append(kw), weak=False, dispatch_uid="t")
    try:
        import_history(tmp_path)
    finally:
        signals.contact_recorded.disconnect(dispatch_uid="t")

    assert calls == []


# --- Bad rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "good", "where", "says"),
    [
        ("2024-03-02T09:00:00Z,2024", "2024-03-02T25:00:00Z,2024", "started_at", "ISO 8601"),
        ("chat,delivery", "fax,delivery", "channel", "“fax” is not a known channel"),
        ("inbound,2024-03-02", "sideways,2024-03-02", "direction", "sideways"),
        ("3,t2,c2", ",t2,c2", "contact_id", "empty, but a value is required"),
        ("3,t2,c2", "3,t9,c2", "ticket_id", "ticket “t9” is neither in tickets.csv"),
        ("09:01:00Z,,\n", "09:01:00Z,,-5\n", "handle_seconds", "not a whole number"),
        ("2024-03-02T09:01:00Z", "2024-03-02T08:01:00Z", "answered_at", "answered before"),
        ("2024-03-02T09:01:00Z", "2024-03-02T08:59:59.5Z", "answered_at", "answered before"),
    ],
)
@pytest.mark.django_db
def test_a_bad_contact_stops_the_import_naming_file_line_and_field(tmp_path, bad, good, where,
                                                                   says):  # fmt: skip
    contacts = GOOD_CONTACTS.replace(bad, good)
    assert contacts != GOOD_CONTACTS

    message = import_error(history(tmp_path, contacts=contacts))

    assert f"contacts.csv, line 4, field “{where}”" in message
    assert says in message
    assert "Nothing was imported" in message
    assert Ticket.objects.count() == Contact.objects.count() == Customer.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_priority_is_named(tmp_path):
    tickets = GOOD_TICKETS.replace(",high,", ",asap,")

    message = import_error(history(tmp_path, tickets=tickets))

    assert "tickets.csv, line 3, field “priority”: “asap” is not a known priority" in message


@pytest.mark.django_db
def test_a_bad_row_is_named_in_french_with_french_words(tmp_path):
    tickets = GOOD_TICKETS.replace(",high,", ",asap,")

    with translation.override("fr"), pytest.raises(CommandError) as failure:
        call_command("import_history", str(history(tmp_path, tickets=tickets)))

    message = str(failure.value).replace("\xa0", " ")  # French typography's no-break spaces
    assert "tickets.csv, ligne 3, champ « priority »" in message
    assert "« asap » n’est pas une valeur connue (priorité)" in message  # noqa: RUF001
    assert "Rien n’a été importé." in message  # noqa: RUF001


@pytest.mark.django_db
def test_a_wrong_header_or_field_count_is_named(tmp_path):
    header = import_error(history(tmp_path, tickets=GOOD_TICKETS.replace("solved_at", "done")))
    fields = import_error(history(tmp_path, contacts=GOOD_CONTACTS + "4,t1,c1\n"))

    assert "tickets.csv, line 1" in header and "missing columns: solved_at" in header
    assert "contacts.csv, line 5: 3 fields where the header has 12" in fields


@pytest.mark.django_db
def test_a_missing_required_file_is_named(tmp_path):
    (tmp_path / "tickets.csv").write_text(GOOD_TICKETS)

    assert "contacts.csv is missing" in import_error(tmp_path)


@pytest.mark.django_db
def test_skip_invalid_imports_the_valid_rows_and_reports_the_others(tmp_path, monkeypatch):
    contacts = GOOD_CONTACTS.replace("chat,delivery", "fax,delivery") + (
        "4,t9,c1,phone,billing,,,inbound,2024-03-05T09:00:00Z,,,\n"
    )
    (tmp_path / "in").mkdir()
    directory = history(tmp_path / "in", contacts=contacts)
    monkeypatch.chdir(tmp_path)

    output = import_history(directory, "--skip-invalid")

    assert summary(output)["contacts.csv"] == (2, 0, 0, 2)
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["1", "2"]
    [report] = tmp_path.glob("import_history-rejected-*.csv")
    assert str(report) in output
    rows = csv_rows(report)
    assert [(r["file"], r["line"], r["field"]) for r in rows] == [
        ("contacts.csv", "4", "channel"),
        ("contacts.csv", "5", "ticket_id"),
    ]
    assert rows[0]["row"].startswith("3,t2,c2,fax,delivery,a2,paris,inbound,")
    assert "t9" in rows[1]["message"]


@pytest.mark.django_db
def test_rows_after_blocks_and_quoted_lines_keep_their_line_numbers(tmp_path, monkeypatch):
    """Tiny blocks: plain runs go to COPY as blocks, the others line by line, interleaved."""
    monkeypatch.setattr("tickets.importing.blocks.BlockReader.SIZE", 150)
    plain = "{n},t1,c1,phone,billing,a1,lyon,inbound,2024-03-0{d}T09:00:00Z,,,\n"
    contacts = (
        CONTACTS_HEADER
        + "".join(plain.format(n=n, d=1 + n % 9) for n in range(10, 20))
        + '"20",t1,"c1","phone",billing,,"lyon, ouest",inbound,2024-03-01T10:00:00Z,,,\n'
        + '21,t1,c1,phone,"billing\nretry",,,inbound,2024-03-01T11:00:00Z,,,\n'
        + "".join(plain.format(n=n, d=1 + n % 9) for n in range(22, 40))
        + "40,t9,c1,phone,billing,,,inbound,2024-03-05T09:00:00Z,,,\n"  # line 33
        + "".join(plain.format(n=n, d=1 + n % 9) for n in range(41, 60))
        + "60,t1,c1,phone,billing,,,inbound,2024-03-05T09:00:00Z,2024-03-05T08:00:00Z,,\n"
    )
    (tmp_path / "in").mkdir()
    directory = history(tmp_path / "in", contacts=contacts)
    report = tmp_path / "rejected.csv"

    output = import_history(directory, "--skip-invalid", "--report", str(report))

    assert summary(output)["contacts.csv"] == (49, 0, 0, 2)
    assert [(r["line"], r["field"]) for r in csv_rows(report)] == [
        ("53", "answered_at"),
        ("33", "ticket_id"),
    ]
    assert Contact.objects.get(external_id="21").reason == "billing\nretry"
    assert Team.objects.filter(external_id="lyon, ouest").exists()


@pytest.mark.django_db
def test_the_report_goes_where_asked(tmp_path):
    report = tmp_path / "rejected.csv"
    directory = history(tmp_path, tickets=GOOD_TICKETS + "t3,c3,billing,normal,yesterday,\n")

    output = import_history(directory, "--skip-invalid", "--report", str(report))

    assert summary(output)["tickets.csv"] == (2, 0, 0, 1)
    assert csv_rows(report)[0]["field"] == "created_at"


@pytest.mark.django_db
def test_the_rejected_rows_report_neutralises_formulas(tmp_path):
    contacts = GOOD_CONTACTS.replace("3,t2,c2,chat,", "=1+2,t2,c2,fax,")
    report = tmp_path / "rejected.csv"

    import_history(history(tmp_path, contacts=contacts), "--skip-invalid", "--report", str(report))

    [row] = csv_rows(report)
    assert row["row"].startswith("'=1+2,t2,c2,fax,")
