"""Agents' state changes through the helpdesks' webhooks: a generic tool's status feed and
Zendesk's agent availability events, written with the rule of the import and the REST API."""

from datetime import timedelta

import pytest

from connectors.models import Kind, Mapping, Payload, PayloadState
from connectors.processing import payloads_process
from workforce.models import AgentState, PresenceHour

from . import bodies
from .conftest import post, source_create

pytestmark = pytest.mark.django_db


def states(agent: str) -> list[tuple[str, object, object]]:
    return list(
        AgentState.objects.filter(agent__external_id=agent)
        .order_by("started_at")
        .values_list("state", "started_at", "ended_at")
    )


def outcome(payload: Payload) -> tuple[str, str]:
    payload.refresh_from_db()
    return payload.state, payload.reason


def test_a_generic_status_feed_records_states_and_the_next_one_ends_an_open_state(client):
    source = source_create(Kind.GENERIC, field_paths=bodies.GENERIC_STATE_PATHS)
    nine = bodies.now().replace(hour=9, minute=0, second=0) - timedelta(days=1)

    first = post(client, source, bodies.generic_presence("A7", "available", nine, None))
    second = post(
        client,
        source,
        bodies.generic_presence(
            "A7", "handling", nine + timedelta(minutes=20), nine + timedelta(minutes=26)
        ),
    )
    payloads_process()

    assert (first.status_code, second.status_code) == (202, 202)
    assert [p.state for p in Payload.objects.all()] == [PayloadState.DONE] * 2
    # The open "available" ends where "handling" starts; the agent's id carries the prefix.
    assert states("gx-A7") == [
        ("available", nine, nine + timedelta(minutes=20)),
        ("handling", nine + timedelta(minutes=20), nine + timedelta(minutes=26)),
    ]
    assert PresenceHour.objects.get(agent__external_id="gx-A7").handling == 6 * 60


def test_a_bad_state_fails_the_body_naming_the_state_and_the_others_are_recorded(client):
    source = source_create(Kind.GENERIC, field_paths=bodies.GENERIC_STATE_PATHS)
    start = bodies.now() - timedelta(hours=3)

    post(client, source, bodies.generic_presence("A7", "lunch", start, None))
    post(client, source, bodies.generic_presence("A8", "break", start, None))
    payloads_process()

    bad, good = Payload.objects.order_by("pk")
    state, reason = outcome(bad)
    assert state == PayloadState.FAILED
    assert "“lunch”" in reason and "state" in reason
    assert outcome(good) == (PayloadState.DONE, "")
    assert states("gx-A7") == [] and states("gx-A8") == [("break", start, None)]


def test_a_state_mapping_turns_a_tools_own_status_into_an_agent_state(client):
    source = source_create(Kind.GENERIC, field_paths=bodies.GENERIC_STATE_PATHS)
    Mapping.objects.create(source=source, kind="state", remote="Lunch", value="break")
    start = bodies.now() - timedelta(hours=3)

    post(client, source, bodies.generic_presence("A7", "lunch", start, None))
    payloads_process()

    assert outcome(Payload.objects.get()) == (PayloadState.DONE, "")
    assert states("gx-A7") == [("break", start, None)]


def test_a_state_overlapping_a_stored_one_fails_naming_it_as_the_api_does(client):
    source = source_create(Kind.GENERIC, field_paths=bodies.GENERIC_STATE_PATHS)
    start = bodies.now() - timedelta(hours=3)
    hour = bodies.generic_presence("A7", "handling", start, start + timedelta(hours=1))
    post(client, source, hour)
    payloads_process()

    post(
        client,
        source,
        bodies.generic_presence(
            "A7", "break", start + timedelta(minutes=30), start + timedelta(minutes=45)
        ),
        delivery="second",
    )
    payloads_process()

    [_first, second] = Payload.objects.order_by("pk")
    state, reason = outcome(second)
    assert state == PayloadState.FAILED
    assert "overlaps" in reason and "handling" in reason
    assert [s for s, _a, _e in states("gx-A7")] == ["handling"]


def test_zendesk_availability_events_become_states_in_the_order_they_happened(client):
    source = source_create(Kind.ZENDESK)
    # Zendesk's times carry nanoseconds: kept to the microsecond.
    login = bodies.now().replace(microsecond=123456) - timedelta(hours=4)
    away, logout = login + timedelta(hours=2), login + timedelta(hours=3)

    # Delivered out of order: the webhook promises no order, the events' times do.
    for status, at in (("offline", logout), ("online", login), ("away", away)):
        assert post(client, source, bodies.zendesk_presence(10011, status, at)).status_code == 202
    payloads_process()

    assert {p.state for p in Payload.objects.all()} == {PayloadState.DONE}
    assert states("zd-10011") == [
        ("available", login, away),
        ("break", away, logout),
        ("logged_out", logout, None),
    ]


def test_a_zendesk_custom_status_waits_for_its_mapping_then_is_replayed(admin_client):
    source = source_create(Kind.ZENDESK)
    at = bodies.now().replace(microsecond=123456) - timedelta(hours=1)
    post(admin_client, source, bodies.zendesk_presence(10011, "In a meeting", at))
    payloads_process()
    payload = Payload.objects.get()
    state, reason = outcome(payload)
    assert state == PayloadState.FAILED and "In a meeting" in reason and "mapping" in reason

    Mapping.objects.create(source=source, kind="state", remote="in a meeting", value="break")
    admin_client.post(
        "/admin/connectors/payload/", {"action": "replay", "_selected_action": [payload.pk]}
    )
    payloads_process()

    assert outcome(payload) == (PayloadState.DONE, "")
    assert states("zd-10011") == [("break", at, None)]


def test_zendesk_per_channel_statuses_are_ignored_with_the_reason(client):
    source = source_create(Kind.ZENDESK)
    body = bodies.zendesk_presence(10011, "online", bodies.now())
    body["type"] = "zen:event-type:agent.state_changed"

    post(client, source, body)
    payloads_process()

    state, reason = outcome(Payload.objects.get())
    assert state == PayloadState.IGNORED and reason
    assert not AgentState.objects.exists()
