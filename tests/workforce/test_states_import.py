"""An agents' states import writes what the REST API's path (states_write) writes for the same
states, whichever way the import takes (set-based for agents without stored states)."""

from datetime import datetime

import pytest

from tests.tickets.test_import_history import history, import_error, import_history, summary
from workforce.models import AgentState, PresenceHour
from workforce.records import StateRecord
from workforce.services import states_write

HEADER = "agent_id,state,started_at,ended_at\n"
# Two agents, lines interleaved; a1 works across midnight and the autumn DST change in Paris
# (27 October 2024, 01:00 UTC), with an open state ended by its next one and a last state open.
ROWS = [
    ("a1", "logged_in", "2024-10-26T21:50:00Z", "2024-10-26T22:05:00Z"),
    ("a2", "available", "2024-10-26T23:10:07Z", "2024-10-27T00:20:00Z"),
    ("a1", "available", "2024-10-26T22:05:00Z", ""),
    ("a1", "handling", "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"),
    ("a2", "logged_out", "2024-10-27T00:20:00Z", "2024-10-27T02:00:00Z"),
    ("a1", "break", "2024-10-27T01:30:00Z", "2024-10-27T02:00:00Z"),
    ("a1", "after_contact_work", "2024-10-27T02:10:00Z", "2024-10-27T03:45:30Z"),
    ("a2", "handling", "2024-10-27T02:00:00Z", ""),
]


@pytest.fixture(autouse=True)
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def csv_text(rows) -> str:
    return HEADER + "".join(",".join(row) + "\n" for row in rows)


def stored() -> tuple[list, list]:
    states = AgentState.objects.order_by("agent__external_id", "started_at").values_list(
        "agent__external_id", "state", "started_at", "ended_at"
    )
    hours = PresenceHour.objects.order_by("agent__external_id", "hour").values_list(
        "agent__external_id", "hour", "logged_in", "breaks", "handling", "after_contact_work"
    )
    return list(states), list(hours)


def written_by_the_api(rows) -> tuple[list, list]:
    AgentState.objects.all().delete()
    PresenceHour.objects.all().delete()

    def time(text: str) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    states_write([StateRecord(a, s, time(b), time(e)) for a, s, b, e in rows])  # type: ignore[arg-type]
    return stored()


@pytest.mark.django_db
def test_a_first_import_writes_the_states_and_hours_the_api_writes(tmp_path):
    directory = history(tmp_path, agent_states=csv_text(ROWS))
    counts = summary(import_history(directory))
    imported = stored()
    again = summary(import_history(directory, "--force"))

    assert counts["agent_states.csv"][:3] == (len(ROWS), 0, 0)
    # Sent again: every state is stored already (a1's open one, ended by its next state, too).
    assert again["agent_states.csv"][:3] == (0, 0, len(ROWS))
    assert stored() == imported
    assert imported == written_by_the_api(ROWS)
    states, hours = imported
    # The open "available" ends where "handling" starts; the last state of each agent stays open.
    assert [(s, e) for a, s, _b, e in states if a == "a1"][1] == (
        "available",
        datetime.fromisoformat("2024-10-27T00:30:00Z"),
    )
    # 02:00-03:00 CEST (00:00-01:00 UTC): 30 minutes available, 30 handling.
    assert ("a1", datetime.fromisoformat("2024-10-27T00:00:00Z"), 3600, 0, 1800, 0) in hours


@pytest.mark.django_db
def test_a_later_export_ends_the_open_state_and_rebuilds_the_hours_it_shares(tmp_path):
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    # a1's last state of the first export is open, in an hour it shares with the one before.
    first, later = (
        [r for r in ROWS if r[2] < "2024-10-26T23"],
        [r for r in ROWS if r[2] > "2024-10-26T23"],
    )
    import_history(history(tmp_path / "one", agent_states=csv_text(first)))

    counts = summary(import_history(history(tmp_path / "two", agent_states=csv_text(later))))

    assert counts["agent_states.csv"][:3] == (len(later), 0, 0)
    assert stored() == written_by_the_api(ROWS)


@pytest.mark.django_db
def test_an_import_onto_stored_states_refuses_only_the_overlap_and_writes_a_new_agent(tmp_path):
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    import_history(history(tmp_path / "one", agent_states=csv_text(ROWS[:4])))
    later = [
        ("a1", "break", "2024-10-27T00:40:00Z", "2024-10-27T00:50:00Z"),  # inside "handling"
        ("a3", "available", "2024-10-27T05:00:00Z", "2024-10-27T06:00:00Z"),
        ("a1", "break", "2024-10-26T21:50:00Z", "2024-10-26T22:05:00Z"),  # sent again, changed
    ]
    directory = history(tmp_path / "two", agent_states=csv_text(later))

    message = import_error(directory)
    report = str(tmp_path / "rejected.csv")
    counts = summary(import_history(directory, "--skip-invalid", "--report", report))

    assert "agent_states.csv, line 2, field “started_at”" in message
    assert "overlaps the agent's state “handling” from 2024-10-27T00:30:00Z" in message
    assert counts["agent_states.csv"] == (1, 1, 0, 1)
    assert stored() == written_by_the_api([*ROWS[:4], later[1], later[2]])


@pytest.mark.django_db
def test_a_new_agents_states_out_of_time_order_are_checked_against_each_other(tmp_path):
    rows = [ROWS[3], ROWS[0], ("a1", "break", "2024-10-27T00:00:00Z", "2024-10-27T00:45:00Z")]

    message = import_error(history(tmp_path, agent_states=csv_text(rows)))

    assert "agent_states.csv, line 4, field “ended_at”" in message
    assert "overlaps the agent's state “handling” from 2024-10-27T00:30:00Z" in message
