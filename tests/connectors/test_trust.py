"""Who may post, and what happens to what they post: signatures in each vendor's scheme,
replays, the same delivery twice, and a body that cannot be mapped, fixed and replayed."""

import json
import uuid
from datetime import timedelta

import pytest

from connectors import services, tasks
from connectors.models import Kind, Mapping, Payload, PayloadState
from connectors.processing import payloads_process
from tickets.models import Contact, Customer, Ticket

from . import bodies
from .conftest import ago, post, signed_headers, source_create

pytestmark = pytest.mark.django_db

KINDS = [Kind.ZENDESK, Kind.FRESHDESK, Kind.ZAMMAD, Kind.CHATWOOT, Kind.GENERIC]
# Schemes that sign the time of sending: an old request is refused outright.
TIMED = [Kind.ZENDESK, Kind.CHATWOOT, Kind.GENERIC]


def make(kind: str):
    source = source_create(kind, field_paths=bodies.GENERIC_PATHS if kind == Kind.GENERIC else {})
    return source, bodies.BUILDERS[kind](42, bodies.now())


@pytest.mark.parametrize("kind", KINDS)
def test_a_signed_body_is_stored_answered_at_once_and_recorded(client, kind):
    source, body = make(kind)

    response = post(client, source, body)

    assert response.status_code == 202
    payload = Payload.objects.get()
    assert (payload.state, payload.origin, payload.source) == ("pending", "webhook", source)
    assert json.loads(payload.body) == body  # raw, as sent
    assert payload.delivery_id
    payloads_process()
    payload.refresh_from_db()
    assert payload.state == PayloadState.DONE, payload.reason
    assert Ticket.objects.count() == 1 and Contact.objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_signature_is_refused_with_401_and_nothing_written(client, kind):
    source, body = make(kind)
    raw = json.dumps(body).encode()

    forged = client.post(
        f"/hooks/{source.slug}/",
        data=raw,
        content_type="application/json",
        headers=signed_headers(kind, raw, secret="not-the-secret"),
    )
    unsigned = client.post(f"/hooks/{source.slug}/", data=raw, content_type="application/json")
    tampered = client.post(
        f"/hooks/{source.slug}/",
        data=raw.replace(b"42", b"43"),
        content_type="application/json",
        headers=signed_headers(kind, raw),
    )

    # Freshdesk sends the secret itself, not a signature: with the secret, any body is its own.
    signed = 202 if kind == Kind.FRESHDESK else 401
    assert [r.status_code for r in (forged, unsigned, tampered)] == [401, 401, signed]
    assert Payload.objects.count() == (1 if kind == Kind.FRESHDESK else 0)


@pytest.mark.parametrize("kind", TIMED)
def test_a_request_signed_more_than_five_minutes_ago_is_refused(client, kind):
    source, body = make(kind)

    old = post(client, source, body, at=ago(minutes=6))
    fresh = post(client, source, body, at=ago(minutes=4))

    assert (old.status_code, fresh.status_code) == (401, 202)
    assert "five minutes" in old.json()["error"]
    assert Payload.objects.count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_delivery_twice_is_stored_and_recorded_once(client, kind):
    source, body = make(kind)

    first = post(client, source, body, delivery="delivery-1")
    again = post(client, source, body, delivery="delivery-1")
    payloads_process()

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert Payload.objects.count() == 1 and Contact.objects.count() == 1


@pytest.mark.parametrize("kind", [Kind.ZAMMAD, Kind.FRESHDESK])
def test_an_unsigned_time_scheme_refuses_a_body_replayed_under_another_delivery_id(client, kind):
    source, body = make(kind)

    post(client, source, body, delivery="delivery-1")
    replay = post(client, source, body, delivery="delivery-2")

    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert Payload.objects.count() == 1


def test_an_unknown_or_inactive_source_is_404_and_a_source_without_secret_401(client):
    source, body = make(Kind.ZENDESK)

    unknown = client.post("/hooks/nobody/", data=b"{}", content_type="application/json")
    source.is_active = False
    source.save()
    inactive = post(client, source, body)
    source.is_active, source.signing_key = True, ""
    source.save()
    no_secret = post(client, source, body)

    assert (unknown.status_code, inactive.status_code, no_secret.status_code) == (404, 404, 401)
    assert not Payload.objects.exists()


def test_a_get_is_not_allowed(client):
    source, _body = make(Kind.CHATWOOT)
    assert client.get(f"/hooks/{source.slug}/").status_code == 405


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_that_cannot_be_mapped_is_kept_with_the_reason(client, kind):
    source, _body = make(kind)

    response = post(client, source, {"hello": "world"})
    payloads_process()

    assert response.status_code == 202
    payload = Payload.objects.get()
    assert payload.state == PayloadState.FAILED and payload.reason
    assert not Ticket.objects.exists()


def test_an_unmapped_channel_waits_for_its_mapping_then_is_replayed_from_the_admin(
    admin_client,
):
    source = source_create(Kind.ZENDESK)
    post(admin_client, source, bodies.zendesk(7, bodies.now(), channel="sms"))
    payloads_process()
    payload = Payload.objects.get()
    assert payload.state == PayloadState.FAILED
    assert "“sms”" in payload.reason and "mapping" in payload.reason

    Mapping.objects.create(source=source, kind="channel", remote="SMS", value="chat")
    listed = admin_client.get("/admin/connectors/payload/?state__exact=failed")
    replayed = admin_client.post(
        "/admin/connectors/payload/",
        {"action": "replay", "_selected_action": [payload.pk]},
    )
    payloads_process()

    assert listed.status_code == 200 and payload.reason[:40].encode() in listed.content
    assert replayed.status_code == 302
    payload.refresh_from_db()
    assert (payload.state, payload.reason) == (PayloadState.DONE, "")
    assert Contact.objects.get(external_id="zd-7").channel == "chat"


def test_a_body_naming_an_unknown_ticket_waits_then_fails_after_its_last_try(client, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 3
    source = source_create(Kind.ZENDESK)
    events = {
        "ticket_metric_events": [
            {
                "metric": "reply_time",
                "type": "fulfill",
                "ticket_id": 5,
                "time": "2024-05-01T10:00:00Z",
            }
        ]
    }
    post(client, source, events)

    now = bodies.now() + timedelta(seconds=1)
    for hours in range(3):
        payloads_process(now=now + timedelta(hours=hours))

    payload = Payload.objects.get()
    assert (payload.state, payload.attempts) == (PayloadState.FAILED, 3)
    assert "zd-5" in payload.reason


def test_a_reply_event_answers_the_tickets_contact(client):
    source = source_create(Kind.ZENDESK)
    at = bodies.now() - timedelta(hours=1)
    post(client, source, bodies.zendesk(5, at))
    reply = at + timedelta(minutes=12)
    events = {
        "ticket_metric_events": [
            {"metric": "reply_time", "type": "fulfill", "ticket_id": 5, "time": bodies._iso(reply)}
        ]
    }
    post(client, source, events)

    payloads_process()

    assert Contact.objects.get(external_id="zd-5").answered_at == reply
    # A later update that does not carry the answer keeps it.
    later = bodies.zendesk(5, at, status="pending")
    later["detail"]["updated_at"] = later["time"] = bodies._iso(at + timedelta(minutes=30))
    post(client, source, later)
    payloads_process()
    assert Contact.objects.get(external_id="zd-5").answered_at == reply


def test_bodies_of_one_batch_apply_in_the_order_things_happened(client):
    source = source_create(Kind.CHATWOOT)
    at = bodies.now() - timedelta(hours=1)
    # Delivered out of order: resolved (later) first, opened (earlier) second.
    post(client, source, bodies.chatwoot(8, at + timedelta(minutes=20), "conversation_resolved"))
    opened = bodies.chatwoot(8, at, "conversation_opened")
    opened["created_at"] = opened["timestamp"] = (
        int((at + timedelta(minutes=20)).timestamp()) - 1200
    )
    post(client, source, opened)

    payloads_process()

    assert Ticket.objects.get(external_id="cw-8").solved_at == at + timedelta(minutes=20)


def test_a_body_from_before_the_solve_recorded_after_it_does_not_reopen_the_ticket(client):
    source = source_create(Kind.CHATWOOT)
    at = bodies.now() - timedelta(hours=1)
    solved = at + timedelta(minutes=20)
    post(client, source, bodies.chatwoot(8, solved, "conversation_resolved"))
    payloads_process()
    # Another worker's batch, or a late delivery: an update from before the solve.
    late = bodies.chatwoot(8, at, "conversation_updated")
    late["created_at"] = int(at.timestamp())
    post(client, source, late)
    payloads_process()
    kept = Ticket.objects.get(external_id="cw-8").solved_at
    # A real reopening, after the solve, still reopens.
    post(client, source, bodies.chatwoot(8, solved + timedelta(minutes=10), "conversation_updated"))
    payloads_process()

    assert set(Payload.objects.values_list("state", flat=True)) == {PayloadState.DONE}
    assert kept == solved
    assert Ticket.objects.get(external_id="cw-8").solved_at is None


@pytest.mark.services
def test_a_burst_of_bodies_queues_one_worker_run_that_starts_after_the_burst(
    client, redis_url, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(services, "KICK_KEY", f"test-kick-{uuid.uuid4().hex}")
    queued = []
    monkeypatch.setattr(tasks.payloads_process, "apply_async", lambda **kw: queued.append(kw))
    source = source_create(Kind.CHATWOOT)

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            post(client, source, bodies.chatwoot(n, bodies.now()))

    assert Payload.objects.count() == 5
    assert queued == [{"countdown": 2.0}]
    services._redis().delete(services.KICK_KEY)


def test_a_bad_value_fails_its_body_naming_the_row_and_field_and_its_neighbours_are_recorded(
    client,
):
    source = source_create(Kind.CHATWOOT)
    at = bodies.now() - timedelta(hours=1)
    bad_address = bodies.chatwoot(2, at)
    bad_address["meta"]["sender"]["email"] = "tom at example"
    future = bodies.chatwoot(4, at)
    future["created_at"] = int((at + timedelta(days=3)).timestamp())
    for body in (bodies.chatwoot(1, at), bad_address, bodies.chatwoot(3, at), future):
        post(client, source, body)

    payloads_process()

    states = dict(Payload.objects.values_list("body", "state"))
    reasons = {json.loads(b)["id"]: r for b, r in Payload.objects.values_list("body", "reason")}
    assert sorted(states.values()) == ["done", "done", "failed", "failed"]
    assert reasons[2].startswith("cw-2: customer_email: ")
    assert reasons[4].startswith("cw-4: created_at: ") and "cw-4: started_at: " in reasons[4]
    assert set(Contact.objects.values_list("external_id", flat=True)) == {"cw-1", "cw-3"}
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"cw-1", "cw-3"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_that_collides_with_another_workers_is_recorded_whole(
    client, postgres, monkeypatch, caplog
):
    """Another worker creates the conversation's ticket between this batch's look-up and its
    insert (bodies of one conversation in two batches): the batch is recorded again, whole."""
    from django.db import connections

    from tickets import services

    source = source_create(Kind.CHATWOOT)
    Customer.objects.create(external_id="cw-55")  # the bodies' customer, known to both
    at = bodies.now() - timedelta(hours=1)
    post(client, source, bodies.chatwoot(8, at))
    post(client, source, bodies.chatwoot(9, at + timedelta(minutes=20), "conversation_resolved"))
    insert = services.rows_insert
    other = connections.create_connection("default")

    def insert_after_another_worker(model, rows, **options):
        if model is Ticket and not Ticket.objects.exists():
            with other.cursor() as cursor:  # its own transaction, committed at once
                cursor.execute(
                    "INSERT INTO tickets_ticket (external_id, customer_id, reason, priority,"
                    " created_at, inbound_count, recontact_in_window)"
                    " SELECT 'cw-9', id, 'other', 'normal', now(), 0, false FROM tickets_customer"
                    " WHERE external_id = 'cw-55'"
                )
        return insert(model, rows, **options)

    monkeypatch.setattr(services, "rows_insert", insert_after_another_worker)
    try:
        payloads_process()
    finally:
        other.close()

    assert "collided" in caplog.text and "one by one" not in caplog.text
    assert set(Payload.objects.values_list("state", flat=True)) == {PayloadState.DONE}
    assert Ticket.objects.get(external_id="cw-9").solved_at == at + timedelta(minutes=20)
    assert Contact.objects.filter(external_id__in=["cw-8", "cw-9"]).count() == 2
