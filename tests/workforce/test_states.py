"""Agents' states come in by import_history and the REST API, under one rule for overlaps."""

from datetime import UTC, datetime

import pytest

from tests.tickets.test_import_history import (
    history,
    import_error,
    import_history,
    summary,
)
from tickets import signals
from workforce.models import AgentState
from workforce.records import StateRecord
from workforce.services import states_write

HEADER = "agent_id,state,started_at,ended_at\n"
DAY = (
    HEADER
    + "a1,logged_in,2024-03-01T08:00:00Z,2024-03-01T08:05:00Z\n"
    + "a1,available,2024-03-01T08:05:00Z,2024-03-01T09:00:00Z\n"
    + "a1,handling,2024-03-01T09:00:20Z,2024-03-01T09:05:00Z\n"
    + "a1,after_contact_work,2024-03-01T09:05:00Z,2024-03-01T09:06:00Z\n"
    + "a2,break,2024-03-01T10:00:00Z,\n"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def states() -> list[tuple[str, str, str, str | None]]:
    rows = AgentState.objects.values_list("agent__external_id", "state", "started_at", "ended_at")
    return [(a, s, f"{b:%H:%M}", None if e is None else f"{e:%H:%M}") for a, s, b, e in rows]


@pytest.mark.django_db
def test_agent_states_csv_is_imported_with_the_history_and_again_changes_nothing(tmp_path):
    directory = history(tmp_path, agent_states=DAY)

    first = summary(import_history(directory))
    again = summary(import_history(directory, "--force"))

    assert first["agent_states.csv"][:3] == (5, 0, 0)
    assert again["agent_states.csv"][:3] == (0, 0, 5)
    assert ("a2", "break", "10:00", None) in states()


@pytest.mark.django_db
def test_many_states_onto_a_history_do_not_rebuild_every_contact_rollup(tmp_path, monkeypatch):
    (tmp_path / "first").mkdir()
    (tmp_path / "states").mkdir()
    import_history(history(tmp_path / "first"))
    monkeypatch.setattr("tickets.importing.history.ROLLUPS_REBUILD_FROM", 3)
    sent = []
    handler = lambda sender, **kwargs: sent.append(kwargs)  # noqa: E731
    signals.history_changed.connect(handler)
    try:
        import_history(history(tmp_path / "states", agent_states=DAY))  # 5 states, past 3
    finally:
        signals.history_changed.disconnect(handler)

    assert AgentState.objects.count() == 5
    assert [kwargs.get("everything", False) for kwargs in sent] == [False]


@pytest.mark.django_db
def test_an_overlapping_state_in_the_file_is_named_by_line_and_field(tmp_path):
    overlapping = DAY + "a1,break,2024-03-01T09:04:00Z,2024-03-01T09:20:00Z\n"

    message = import_error(history(tmp_path, agent_states=overlapping))

    assert "agent_states.csv, line 7, field “started_at”" in message
    assert "overlaps the agent's state “handling” from 2024-03-01T09:00:20Z" in message
    assert AgentState.objects.count() == 0


@pytest.mark.django_db
def test_a_state_ending_before_it_starts_is_named(tmp_path):
    wrong = HEADER + "a1,break,2024-03-01T09:00:00Z,2024-03-01T08:00:00Z\n"

    message = import_error(history(tmp_path, agent_states=wrong))

    assert "agent_states.csv, line 2, field “ended_at”" in message


@pytest.mark.django_db
def test_an_open_state_is_ended_by_the_agents_next_state_even_in_a_later_import(tmp_path):
    states_write([StateRecord("a1", "available", at("2024-03-01T08:00:00"))])

    states_write([StateRecord("a1", "handling", at("2024-03-01T08:30:00"))])

    assert states() == [
        ("a1", "available", "08:00", "08:30"),
        ("a1", "handling", "08:30", None),
    ]


@pytest.mark.django_db
def test_a_state_sent_again_with_a_new_end_updates_it():
    states_write([StateRecord("a1", "break", at("2024-03-01T08:00:00"), at("2024-03-01T08:30:00"))])

    written = states_write(
        [StateRecord("a1", "break", at("2024-03-01T08:00:00"), at("2024-03-01T08:20:00"))]
    )

    assert (written.created, written.updated) == (0, 1)
    assert states() == [("a1", "break", "08:00", "08:20")]


STATE = {"agent_id": "a1", "state": "handling", "started_at": "2024-03-01T09:00:00Z"}


@pytest.mark.django_db
def test_an_integration_records_a_state_change_that_ends_the_previous_state(integration):
    integration.post("/api/v1/agent-states/", STATE, format="json")

    response = integration.post(
        "/api/v1/agent-states/",
        [{**STATE, "state": "after_contact_work", "started_at": "2024-03-01T09:04:00Z"}],
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert states() == [
        ("a1", "handling", "09:00", "09:04"),
        ("a1", "after_contact_work", "09:04", None),
    ]


@pytest.mark.django_db
def test_two_short_states_inside_a_long_one_are_both_refused():
    long = StateRecord("a1", "handling", at("2024-03-01T09:00:00"), at("2024-03-01T12:00:00"))
    first = StateRecord("a1", "break", at("2024-03-01T10:00:00"), at("2024-03-01T10:30:00"))
    second = StateRecord("a1", "available", at("2024-03-01T10:30:00"), at("2024-03-01T11:00:00"))
    after = StateRecord("a1", "available", at("2024-03-01T12:00:00"), at("2024-03-01T12:30:00"))

    together = states_write([long, first, second, after])
    AgentState.objects.all().delete()
    states_write([long])
    apart = states_write([first, second])

    assert [(i, name) for i, name, _m in together.problems] == [
        (1, "started_at"),
        (2, "started_at"),
    ]
    assert [(i, name) for i, name, _m in apart.problems] == [(0, "started_at"), (1, "started_at")]
    assert all("“handling”" in message for _i, _n, message in together.problems)
    assert states() == [("a1", "handling", "09:00", "12:00")]


@pytest.mark.django_db
def test_an_overlapping_state_is_refused_whole_naming_item_and_field(integration):
    closed = {**STATE, "ended_at": "2024-03-01T09:10:00Z"}
    integration.post("/api/v1/agent-states/", closed, format="json")
    batch = [
        {**STATE, "agent_id": "a2"},
        {**STATE, "state": "break", "started_at": "2024-03-01T09:05:00Z"},
    ]

    response = integration.post("/api/v1/agent-states/", batch, format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, "started_at")
    assert AgentState.objects.count() == 1


@pytest.mark.django_db
def test_a_lone_state_starting_inside_a_stored_one_is_refused_naming_it(integration):
    closed = {**STATE, "ended_at": "2024-03-01T09:10:00Z"}
    integration.post("/api/v1/agent-states/", closed, format="json")

    response = integration.post(
        "/api/v1/agent-states/",
        {**STATE, "state": "break", "started_at": "2024-03-01T09:05:00Z"},
        format="json",
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "started_at")
    assert "“handling”" in error["message"]
    assert states() == [("a1", "handling", "09:00", "09:10")]


@pytest.mark.django_db
def test_only_integrations_with_the_history_scope_and_staff_record_states(
    token_client, outsider, staff
):
    kpi_reader = token_client("kpis:read")

    assert outsider.post("/api/v1/agent-states/", STATE, format="json").status_code == 403
    assert kpi_reader.post("/api/v1/agent-states/", STATE, format="json").status_code == 403
    assert staff.post("/api/v1/agent-states/", STATE, format="json").status_code == 201
