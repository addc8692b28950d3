"""Values that would break the service for everyone are refused by every way history comes in.

A ticket of year 9999 made every later rollup refresh and import fail; a handle time of
2,147,483,647 s overflowed the next refresh; dates from year 1 made a full rebuild walk every
day since. The REST API and both paths of import_history (COPY on PostgreSQL, batches elsewhere;
plain lines and quoted ones) share one check (tickets.bounds).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.tickets.test_import_history import (
    CONTACTS_HEADER,
    GOOD_CONTACTS,
    GOOD_TICKETS,
    TICKETS_HEADER,
    history,
    import_error,
    import_history,
    summary,
)
from tickets import bounds
from tickets.models import Contact, Ticket
from tickets.records import ContactRecord
from tickets.services import contacts_upsert

CONTACT = {
    "contact_id": "C1", "customer_id": "CU1", "channel": "phone", "reason": "billing",
    "direction": "inbound", "started_at": "2024-03-01T09:00:00Z",
}  # fmt: skip
TICKET = {
    "ticket_id": "T1", "customer_id": "CU1", "reason": "billing",
    "created_at": "2024-03-01T09:00:00Z",
}  # fmt: skip


def _errors(response) -> list[tuple]:
    return [(e["index"], e["field"]) for e in response.json()["errors"]]


@pytest.mark.django_db
def test_a_ticket_in_year_9999_is_refused_by_the_api(integration):
    items = [TICKET, {**TICKET, "ticket_id": "T2", "created_at": "9999-06-01T00:00:00Z"}]

    response = integration.post("/api/v1/tickets/", items, format="json")

    assert response.status_code == 400
    assert _errors(response) == [(1, "created_at")]
    assert "ahead of now is refused" in response.json()["errors"][0]["message"]
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_contact_in_year_1_is_refused_by_the_api(integration):
    item = {**CONTACT, "started_at": "0001-01-01T00:00:00Z"}

    response = integration.post("/api/v1/contacts/", item, format="json")

    assert response.status_code == 400
    assert _errors(response) == [(0, "started_at")]
    assert "older than 7305 days is refused" in response.json()["errors"][0]["message"]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_handle_time_of_2147483647_seconds_is_refused_by_the_api(integration):
    item = {**CONTACT, "answered_at": "2024-03-01T09:00:10Z", "handle_seconds": 2_147_483_647}

    response = integration.post("/api/v1/contacts/", [CONTACT | {"contact_id": "C0"}, item],
                                format="json")  # fmt: skip

    assert response.status_code == 400
    assert _errors(response) == [(1, "handle_seconds")]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_the_window_follows_its_settings(integration, settings):
    settings.HISTORY_MAX_FUTURE_SECONDS = 3600
    soon = timezone.now() + timedelta(minutes=50)
    late = timezone.now() + timedelta(minutes=70)

    ok = integration.post("/api/v1/tickets/", {**TICKET, "created_at": soon.isoformat()},
                          format="json")  # fmt: skip
    refused = integration.post(
        "/api/v1/tickets/", {**TICKET, "ticket_id": "T2", "created_at": late.isoformat()},
        format="json",
    )  # fmt: skip

    assert ok.status_code == 201
    assert refused.status_code == 400 and _errors(refused) == [(0, "created_at")]


def test_a_day_of_handling_is_the_longest_accepted():
    assert bounds.duration_problem(86_400) is None
    assert bounds.duration_problem(86_401) is not None
    assert bounds.duration_problem(-1) is not None


def test_records_built_by_a_connector_are_checked_field_by_field():
    now = datetime(2025, 6, 1, tzinfo=UTC)
    record = ContactRecord(
        "C1", "CU1", "phone", "billing", "inbound", datetime(9999, 1, 1, tzinfo=UTC),
        answered_at=datetime(2025, 5, 1, tzinfo=UTC), handle_seconds=2_147_483_647,
    )  # fmt: skip

    problems = bounds.record_problems(record, now)

    assert [field for field, _message in problems] == ["started_at", "handle_seconds"]


@pytest.mark.django_db
def test_the_services_refuse_records_no_way_in_checked():
    record = ContactRecord(
        "C1", "CU1", "phone", "billing", "inbound", datetime(1, 1, 1, tzinfo=UTC)
    )

    with pytest.raises(bounds.OutOfBounds) as refused:
        contacts_upsert([record])

    assert (refused.value.index, refused.value.field) == (0, "started_at")
    assert Contact.objects.count() == 0


# --- import_history: plain lines (COPY's blocks, the reader's fast path) and quoted ones -------

BAD = {
    "year 9999": ("tickets", "t2,c2,delivery,high,2024-03-02T09:00:00Z,",
                  "t2,c2,delivery,high,9999-03-02T09:00:00Z,", 3, "created_at"),
    "year 1": ("contacts", "2,t1,c1,email,billing,a1,lyon,outbound,2024-03-01T09:30:00Z,,,",
               "2,t1,c1,email,billing,a1,lyon,outbound,0001-03-01T09:30:00Z,,,", 3, "started_at"),
    "2147483647 seconds": ("contacts", "09:05:00Z,280", "09:05:00Z,2147483647", 2,
                           "handle_seconds"),
}  # fmt: skip


def _bad_history(tmp_path, case: str, quoted: bool):
    name, good, bad, line, field = BAD[case]
    text = {"tickets": GOOD_TICKETS, "contacts": GOOD_CONTACTS}[name]
    assert good in text
    lines = text.replace(good, bad).splitlines(keepends=True)
    if quoted:  # a quoted field takes the line off the fast path
        lines[line - 1] = '"' + lines[line - 1].replace(",", '",', 1)
    return history(tmp_path, **{name: "".join(lines)}), name, line, field


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
@pytest.mark.parametrize("case", list(BAD))
def test_year_9999_year_1_and_2147483647_seconds_are_refused_by_the_import(tmp_path, case,
                                                                          quoted):  # fmt: skip
    directory, name, line, field = _bad_history(tmp_path, case, quoted)

    message = import_error(directory)

    assert f"{name}.csv, line {line}, field “{field}”" in message
    assert "is refused" in message or "longest handle time" in message
    assert Ticket.objects.count() == Contact.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD))
def test_skip_invalid_reports_the_row_out_of_bounds_and_imports_the_others(tmp_path, case):
    directory, name, line, field = _bad_history(tmp_path, case, quoted=False)
    report = tmp_path / "rejected.csv"

    output = import_history(directory, "--skip-invalid", "--report", str(report))

    assert summary(output)[f"{name}.csv"][3] == 1
    text = report.read_text()
    assert f"{name}.csv,{line},{field}," in text


@pytest.mark.django_db
def test_times_at_the_edges_of_the_window_are_imported(tmp_path, settings):
    """Text comparison puts fractions before their second: the exact check decides at the edges."""
    settings.HISTORY_MAX_AGE_DAYS = 30
    now = datetime.now(UTC)
    first = (now - timedelta(days=30) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.5Z")
    last = (now + timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%S.25Z")
    tickets = f"{TICKETS_HEADER}t1,c1,billing,normal,{first},{last}\n"
    contacts = (
        f"{CONTACTS_HEADER}1,t1,c1,phone,billing,a1,lyon,inbound,{first},{last},{last},60\n"
        f'"2",t1,c1,phone,billing,a1,lyon,inbound,{first},{last},,\n'
    )

    import_history(history(tmp_path, tickets=tickets, contacts=contacts))

    assert Ticket.objects.count() == 1
    assert Contact.objects.count() == 2
