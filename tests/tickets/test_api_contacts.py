"""POST /api/v1/contacts/: one contact or up to 1,000, upserted by contact_id."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from tickets import api, signals
from tickets.models import Agent, Contact, Customer, Team, Ticket

URL = "/api/v1/contacts/"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def contact(n: int = 1, **changes) -> dict:
    start = T0 + timedelta(minutes=n)
    item = {
        "contact_id": f"C{n}", "ticket_id": f"T{n}", "customer_id": f"CU{n % 50}",
        "channel": "phone", "reason": "billing", "agent_id": f"A{n % 20}", "team": "lyon_n1",
        "direction": "inbound", "started_at": start.isoformat(),
        "answered_at": (start + timedelta(seconds=20)).isoformat(),
        "ended_at": (start + timedelta(minutes=5)).isoformat(), "handle_seconds": 280,
    }  # fmt: skip
    return item | changes


def rows() -> list[dict]:
    return [model_to_dict(c) for c in Contact.objects.order_by("external_id")]


@pytest.fixture
def recorded():
    """Every contact_recorded signal sent, as its keyword arguments."""
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.contact_recorded.connect(receiver)
    yield sent
    signals.contact_recorded.disconnect(receiver)


@pytest.mark.django_db
def test_one_contact_creates_it_with_its_customer_agent_team_and_ticket(integration):
    response = integration.post(URL, contact(1), format="json")

    assert response.status_code == 201
    assert response.json() == {
        "created": 1, "updated": 0, "unchanged": 0, "created_ids": ["C1"], "updated_ids": [],
    }  # fmt: skip
    saved = Contact.objects.select_related("customer", "agent", "team", "ticket").get()
    assert (saved.customer.external_id, saved.agent.external_id, saved.team.external_id) == (
        "CU1", "A1", "lyon_n1",
    )  # fmt: skip
    assert saved.ticket.external_id == "T1"
    assert saved.started_at == T0 + timedelta(minutes=1)
    assert saved.handle_seconds == 280


@pytest.mark.django_db
def test_times_in_any_zone_are_stored_as_the_same_instant(integration):
    integration.post(URL, contact(1, started_at="2024-03-01T10:01:00+01:00"), format="json")

    assert Contact.objects.get().started_at == T0 + timedelta(minutes=1)


@pytest.mark.django_db
def test_sending_the_same_list_twice_changes_nothing(integration):
    batch = [contact(n) for n in range(1, 31)]
    first = integration.post(URL, batch, format="json")
    before = rows()
    counts = (Customer.objects.count(), Agent.objects.count(), Team.objects.count(),
              Ticket.objects.count())  # fmt: skip

    second = integration.post(URL, batch, format="json")

    assert first.status_code == 201
    assert first.json()["created"] == 30
    assert second.status_code == 200
    assert {k: second.json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 0, "updated": 0, "unchanged": 30,
    }  # fmt: skip
    assert rows() == before
    assert counts == (Customer.objects.count(), Agent.objects.count(), Team.objects.count(),
                      Ticket.objects.count())  # fmt: skip


@pytest.mark.django_db
def test_a_changed_contact_is_updated_and_reported(integration):
    integration.post(URL, [contact(1), contact(2)], format="json")

    response = integration.post(URL, [contact(1), contact(2, reason="delivery")], format="json")

    assert response.status_code == 200
    assert response.json() == {
        "created": 0, "updated": 1, "unchanged": 1, "created_ids": [], "updated_ids": ["C2"],
    }  # fmt: skip
    assert Contact.objects.get(external_id="C2").reason == "delivery"


@pytest.mark.django_db
def test_customer_details_carried_by_a_contact_are_kept(integration):
    integration.post(URL, contact(1, customer_email="ana@example.com", customer_language="en"),
                     format="json")  # fmt: skip

    integration.post(URL, contact(2, customer_id="CU1", customer_phone="+33 6 12 34 56 78"),
                     format="json")  # fmt: skip

    customer = Customer.objects.get(external_id="CU1")
    assert (customer.email, customer.phone, customer.language) == (
        "ana@example.com", "+33 6 12 34 56 78", "en",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_collision_with_a_concurrent_resend_is_run_again(integration, monkeypatch):
    real = api.contacts_upsert
    calls = []

    def first_loses_the_race(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            real(*args, **kwargs)  # the other request wins and commits the same rows
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "contacts_upsert", first_loses_the_race)

    response = integration.post(URL, [contact(1), contact(2)], format="json")

    assert response.status_code == 200
    assert response.json()["unchanged"] == 2
    assert len(calls) == 2
    assert Contact.objects.count() == 2


@pytest.mark.django_db
def test_do_not_survey_is_stored(integration):
    integration.post(URL, contact(1, do_not_survey=True), format="json")

    assert Contact.objects.get().do_not_survey is True


@pytest.mark.django_db
def test_an_abandoned_call_has_no_agent_and_no_answer(integration):
    abandoned = contact(1, agent_id=None, team=None, answered_at=None, handle_seconds=None)

    response = integration.post(URL, abandoned, format="json")

    assert response.status_code == 201
    assert Contact.objects.get().is_abandoned


@pytest.mark.django_db
def test_contact_recorded_is_sent_once_per_request(integration, recorded):
    integration.post(URL, [contact(n) for n in range(1, 11)], format="json")
    integration.post(URL, [contact(1, reason="delivery"), contact(11)], format="json")

    assert len(recorded) == 2
    assert len(recorded[0]["created"]) == 10
    assert (len(recorded[1]["created"]), len(recorded[1]["updated"])) == (1, 1)
    assert recorded[1]["source"] == "api"


@pytest.mark.django_db
def test_nothing_changed_sends_no_signal(integration, recorded):
    integration.post(URL, contact(1), format="json")

    integration.post(URL, contact(1), format="json")

    assert len(recorded) == 1


@pytest.mark.django_db
def test_a_list_of_1000_contacts_is_accepted(integration, recorded):
    response = integration.post(URL, [contact(n) for n in range(1000)], format="json")

    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert Contact.objects.count() == 1000
    assert len(recorded) == 1


def _queries(client, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.post(URL, body, format="json").status_code in {200, 201}
    return len(queries)


def test_a_batch_costs_as_many_queries_for_1000_contacts_as_for_10(postgres, integration):
    # Same 50 customers and 20 agents in both, so that only the number of contacts differs.
    # On PostgreSQL only: SQLite's cap on bound parameters cuts inserts into ~70-row statements.
    small = _queries(integration, [contact(n) for n in range(10_000, 10_050)])
    large = _queries(integration, [contact(n) for n in range(1000)])
    unchanged = _queries(integration, [contact(n) for n in range(1000)])

    assert large <= small + 2  # a few statements are cut in chunks of 500 rows
    assert unchanged <= small


@pytest.mark.django_db
def test_a_list_of_1001_contacts_is_refused_whole(integration):
    response = integration.post(URL, [contact(n) for n in range(1001)], format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["index"] is None
    assert "1000" in error["message"]
    assert "1001" in error["message"]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_refused_in_the_same_format(integration, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = integration.post(URL, [contact(n) for n in range(100)], format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, None)
    assert "10000 bytes" in error["message"]


@pytest.mark.django_db
def test_an_empty_list_writes_nothing(integration):
    response = integration.post(URL, [], format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 0


# Item 3 of 5 starts at T0 + 3 min: T0 is before it.
BAD = [
    pytest.param({"channel": "pigeon"}, "channel", "valid choice", id="unknown channel"),
    pytest.param({"direction": "sideways"}, "direction", "valid choice", id="unknown direction"),
    pytest.param({"started_at": "yesterday"}, "started_at", "format", id="bad date"),
    pytest.param({"started_at": "2024-02-30T10:00:00Z"}, "started_at", "format", id="no such day"),
    pytest.param({"started_at": "2024-03-01T10:00:00"}, "started_at", "time zone", id="naive"),
    pytest.param({"ended_at": "2024-03-01T10:00:00"}, "ended_at", "time zone", id="naive end"),
    pytest.param({"contact_id": None}, "contact_id", "null", id="null id"),
    pytest.param({"contact_id": ""}, "contact_id", "blank", id="blank id"),
    pytest.param({"contact_id": "x" * 65}, "contact_id", "64", id="id too long"),
    pytest.param({"customer_id": None}, "customer_id", "null", id="null customer"),
    pytest.param({"handle_seconds": -1}, "handle_seconds", "0", id="negative handle time"),
    pytest.param({"handle_seconds": "long"}, "handle_seconds", "integer", id="text handle time"),
    pytest.param({"answered_at": T0.isoformat()}, "answered_at", "before", id="answered early"),
    pytest.param({"ended_at": T0.isoformat()}, "ended_at", "before", id="ended before start"),
    pytest.param({"customer_email": "not-an-email"}, "customer_email", "email", id="bad email"),
    pytest.param({"customer_language": "de"}, "customer_language", "choice", id="language"),
    pytest.param({"do_not_survey": "perhaps"}, "do_not_survey", "boolean", id="bad boolean"),
    pytest.param({"startd_at": "2024-03-01T10:00:00Z"}, "startd_at", "Unknown", id="typo"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_a_bad_item_is_named_by_index_and_field_and_nothing_is_written(
    integration, change, field, words
):
    batch = [contact(n) for n in range(5)]
    batch[3] |= change

    response = integration.post(URL, batch, format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (3, field)
    assert words in error["message"]
    assert Contact.objects.count() == Customer.objects.count() == Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_id_is_named(integration):
    item = contact(1)
    del item["contact_id"]

    response = integration.post(URL, item, format="json")

    assert response.json() == {
        "errors": [{"index": 0, "field": "contact_id", "message": "This field is required."}]
    }


@pytest.mark.django_db
def test_every_bad_item_is_reported_at_once(integration):
    batch = [contact(n) for n in range(4)]
    batch[0]["channel"] = "pigeon"
    batch[2]["started_at"] = "2024-03-01"
    batch[2]["handle_seconds"] = -5

    response = integration.post(URL, batch, format="json")

    assert sorted((e["index"], e["field"]) for e in response.json()["errors"]) == [
        (0, "channel"), (2, "handle_seconds"), (2, "started_at"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_an_item_that_is_not_an_object_is_named(integration):
    response = integration.post(URL, [contact(1), "C2"], format="json")

    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, None)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['"C1"', "42", "{not json"])
def test_a_body_that_is_neither_an_object_nor_a_list_is_refused(integration, body):
    response = integration.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, None)


@pytest.mark.django_db
def test_errors_speak_the_callers_language(integration):
    naive = contact(1, started_at="2024-03-01T10:00:00")

    response = integration.post(URL, naive, format="json", HTTP_ACCEPT_LANGUAGE="fr")

    [error] = response.json()["errors"]
    assert "fuseau horaire" in error["message"]
