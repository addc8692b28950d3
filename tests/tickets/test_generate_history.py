"""The sample history generator: same format as the reference files, consistent, plausible."""

import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command

from tickets.sample_history import HEADERS, history_generate, months_after
from tickets.sample_history.generator import HistoryGenerator

CHANNELS = {"phone", "email", "web_form", "chat", "facebook", "twitter", "click_to_call", "chatbot"}
CODES = {
    "not_taken_into_account",
    "answer_raised_new_questions",
    "wrong_department",
    "unclear_answer",
    "other",
}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
INTEGER = re.compile(r"^[1-9]\d*$")
WEEK = 7 * 86400


def _read(folder, name):
    with open(folder / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ts(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    counts = history_generate(folder, contacts=12_000, seed=7, start=date(2024, 9, 1), months=6)
    tables = {name.removesuffix(".csv"): _read(folder, name) for name in HEADERS}
    return folder, counts, tables


def test_same_seed_writes_the_same_files(tmp_path):
    for run in ("a", "b", "c"):
        seed = 2 if run == "c" else 1
        history_generate(tmp_path / run, contacts=1500, seed=seed, start=date(2025, 1, 1), months=2)

    for name in HEADERS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "contacts.csv").read_bytes() != (
        tmp_path / "c" / "contacts.csv"
    ).read_bytes()


def test_header_lines_equal_the_reference_files(history, reference_dir):
    folder, _, _ = history

    for name in HEADERS:
        if name == "agent_states.csv":  # not in the reference set: README's format
            continue
        ours = (folder / name).read_text(encoding="utf-8").split("\n", 1)[0]
        theirs = (reference_dir / name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert ours == theirs


def test_values_are_written_in_the_reference_formats(history):
    folder, _, tables = history

    assert b"\r" not in (folder / "contacts.csv").read_bytes()
    for row in tables["contacts"]:
        assert all(INTEGER.match(row[k]) for k in ("contact_id", "ticket_id", "customer_id"))
        assert row["channel"] in CHANNELS
        assert row["direction"] in {"inbound", "outbound"}
        assert TIME.match(row["started_at"])
        assert all(TIME.match(row[k]) for k in ("answered_at", "ended_at") if row[k])
        assert row["agent_id"] == "" or INTEGER.match(row["agent_id"])
        assert row["handle_seconds"] == "" or INTEGER.match(row["handle_seconds"])
        assert bool(row["agent_id"]) == bool(row["team"])
    for row in tables["tickets"]:
        assert row["priority"] in {"low", "normal", "high", "urgent"}
        assert TIME.match(row["created_at"])
        assert row["solved_at"] == "" or TIME.match(row["solved_at"])
    ranges = {"nps": range(11), "csat": range(1, 6), "ces": range(1, 8)}
    for row in tables["responses"]:
        assert int(row["score"]) in ranges[row["kind"]]
        assert TIME.match(row["responded_at"])
    assert {int(r["score"]) for r in tables["agent_ratings"]} == {1, 2, 3, 4, 5}
    assert {r["reason_code"] for r in tables["repeat_reasons"]} == CODES


def test_every_row_points_at_rows_that_exist(history):
    _, counts, tables = history
    tickets = {t["ticket_id"]: t for t in tables["tickets"]}
    contacts = {c["contact_id"]: c for c in tables["contacts"]}
    by_ticket = defaultdict(list)

    for c in tables["contacts"]:
        ticket = tickets[c["ticket_id"]]
        assert (c["customer_id"], c["reason"]) == (ticket["customer_id"], ticket["reason"])
        by_ticket[c["ticket_id"]].append(c)
    for r in tables["responses"]:
        assert contacts[r["contact_id"]]["ticket_id"] == r["ticket_id"]
    for r in tables["agent_ratings"]:
        assert contacts[r["contact_id"]]["agent_id"] == r["agent_id"]
    for r in tables["repeat_reasons"]:
        assert contacts[r["contact_id"]]["direction"] == "inbound"
    assert set(by_ticket) == set(tickets)
    assert counts == {f"{name}.csv": len(rows) for name, rows in tables.items()}


def test_times_follow_each_other(history):
    _, _, tables = history
    tickets = {t["ticket_id"]: t for t in tables["tickets"]}
    contacts = {c["contact_id"]: c for c in tables["contacts"]}
    first = {}

    for c in tables["contacts"]:
        start = _ts(c["started_at"])
        first.setdefault(c["ticket_id"], start)
        if c["answered_at"]:
            assert _ts(c["answered_at"]) >= start
            assert _ts(c["ended_at"]) - _ts(c["answered_at"]) == int(c["handle_seconds"])
        solved = tickets[c["ticket_id"]]["solved_at"]
        assert not solved or start <= _ts(solved)
    for ticket_id, start in first.items():
        assert _ts(tickets[ticket_id]["created_at"]) == start
    for r in tables["responses"]:
        assert _ts(r["responded_at"]) > _ts(contacts[r["contact_id"]]["ended_at"])
    # Files come in time order, ids in that order, as a helpdesk export.
    starts = [_ts(c["started_at"]) for c in tables["contacts"]]
    assert starts == sorted(starts)
    assert [int(c["contact_id"]) for c in tables["contacts"]] == list(range(1, len(starts) + 1))


def test_abandoned_calls_and_chatbot_sessions_have_no_agent(history):
    _, _, tables = history
    unanswered = [c for c in tables["contacts"] if not c["answered_at"]]
    bot = [c for c in tables["contacts"] if c["channel"] == "chatbot"]

    assert unanswered and bot
    assert {(c["channel"], c["direction"], c["agent_id"]) for c in unanswered} <= {
        ("phone", "inbound", ""),
        # A written contact that came in just before the snapshot is not answered yet.
        ("email", "inbound", ""),
        ("web_form", "inbound", ""),
        ("facebook", "inbound", ""),
        ("twitter", "inbound", ""),
    }
    assert all(c["handle_seconds"] == "" for c in unanswered)
    assert {c["agent_id"] for c in bot} == {""}
    assert all(c["answered_at"] == c["started_at"] for c in bot)


def test_rates_are_plausible(history):
    _, _, tables = history
    contacts, tickets, responses = tables["contacts"], tables["tickets"], tables["responses"]
    inbound = [c for c in contacts if c["direction"] == "inbound"]
    phone = [c for c in inbound if c["channel"] == "phone"]
    shares = Counter(c["channel"] for c in contacts)
    scores = defaultdict(list)
    for r in responses:
        scores[r["kind"]].append(int(r["score"]))
    nps = 100 * (sum(s >= 9 for s in scores["nps"]) - sum(s <= 6 for s in scores["nps"]))
    comments = [r["comment"] for r in responses if r["comment"]]

    assert 0.9 * 12_000 < len(contacts) < 1.1 * 12_000
    assert set(shares) == CHANNELS
    assert 0.25 < shares["phone"] / len(contacts) < 0.5
    assert len({c["reason"] for c in contacts}) == 12
    assert len({c["team"] for c in contacts if c["team"]}) >= 10
    assert 0.02 < sum(not c["answered_at"] for c in phone) / len(phone) < 0.12
    assert 0.03 < (len(contacts) - len(inbound)) / len(contacts) < 0.2
    assert 0.002 < sum(not t["solved_at"] for t in tickets) / len(tickets) < 0.05
    assert 1.2 < len(contacts) / len(tickets) < 2.2
    assert 0.03 < len({r["contact_id"] for r in responses}) / len(contacts) < 0.1
    assert -20 < nps / len(scores["nps"]) < 60
    assert 0.55 < sum(s >= 4 for s in scores["csat"]) / len(scores["csat"]) < 0.9
    assert 4.5 < sum(scores["ces"]) / len(scores["ces"]) < 6.5
    assert 0.25 < len(tables["agent_ratings"]) / sum(bool(c["agent_id"]) for c in contacts) < 0.55
    assert any("é" in c for c in comments) and any("thank" in c.lower() for c in comments)


def _repeats(contacts):
    """Inbound contacts whose previous one (same customer and reason) is at most 7 days older."""
    last, repeats = {}, set()
    for c in contacts:
        if c["direction"] != "inbound":
            continue
        key, start = (c["customer_id"], c["reason"]), _ts(c["started_at"])
        if key in last and start - last[key] <= WEEK:
            repeats.add(c["contact_id"])
        last[key] = start
    return repeats


def test_satisfaction_is_lower_after_a_repeat_contact(history):
    _, _, tables = history
    repeats = _repeats(tables["contacts"])
    csat = defaultdict(list)
    for r in tables["responses"]:
        if r["kind"] == "csat":
            csat[r["contact_id"] in repeats].append(int(r["score"]) >= 4)

    assert 0.1 < len(repeats) / len(tables["contacts"]) < 0.5
    assert sum(csat[True]) / len(csat[True]) + 0.1 < sum(csat[False]) / len(csat[False])


def test_repeat_reasons_mostly_point_at_repeat_contacts(history):
    _, _, tables = history
    repeats = _repeats(tables["contacts"])
    on_repeat = sum(r["contact_id"] in repeats for r in tables["repeat_reasons"])

    assert 0.85 < on_repeat / len(tables["repeat_reasons"]) < 1


def test_the_edge_cases_of_the_windows_are_planted(tmp_path):
    history_generate(tmp_path, contacts=30_000, seed=3, start=date(2024, 1, 1), months=12)
    contacts, tickets = _read(tmp_path, "contacts.csv"), _read(tmp_path, "tickets.csv")
    starts = defaultdict(list)
    for c in contacts:
        if c["direction"] == "inbound":
            starts[(c["customer_id"], c["reason"])].append(_ts(c["started_at"]))
    after_solve = Counter()
    for t in tickets:
        if t["solved_at"]:
            solved, times = _ts(t["solved_at"]), starts[(t["customer_id"], t["reason"])]
            for delta in (0, WEEK, WEEK + 1):
                after_solve[delta] += solved + delta in times
    gaps = Counter()
    for times in starts.values():
        gaps.update(b - a for a, b in pairwise(times))
    per_ticket = Counter(c["ticket_id"] for c in contacts)

    assert all(after_solve[delta] > 0 for delta in (0, WEEK, WEEK + 1))
    assert gaps[0] > 0 and gaps[WEEK] > 0 and gaps[WEEK + 1] > 0
    assert all(c["agent_id"] for c in contacts if c["direction"] == "outbound")
    assert max(per_ticket.values()) >= 5
    with_inbound = {c["ticket_id"] for c in contacts if c["direction"] == "inbound"}
    assert any(t["ticket_id"] not in with_inbound and t["solved_at"] for t in tickets)


def test_nothing_is_written_after_the_snapshot(tmp_path):
    snapshot = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)

    history_generate(
        tmp_path, contacts=3000, seed=1, start=date(2025, 1, 1), months=3, snapshot=snapshot
    )

    cut = int(snapshot.timestamp())
    for name, columns in {
        "contacts.csv": ("started_at", "answered_at", "ended_at"),
        "tickets.csv": ("created_at", "solved_at"),
        "responses.csv": ("responded_at",),
        "agent_ratings.csv": ("rated_at",),
        "repeat_reasons.csv": ("answered_at",),
    }.items():
        for row in _read(tmp_path, name):
            assert all(_ts(row[c]) < cut for c in columns if row[c])
    assert any(not t["solved_at"] for t in _read(tmp_path, "tickets.csv"))


def test_the_command_writes_the_files_and_counts_them(tmp_path):
    out = StringIO()

    call_command(
        "generate_history", str(tmp_path), "--contacts", "800", "--start", "2025-03-01",
        "--months", "1", "--seed", "5", stdout=out,
    )  # fmt: skip

    lines = (tmp_path / "contacts.csv").read_text().count("\n") - 1
    assert f"contacts.csv: {lines}" in out.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(HEADERS)


def test_the_command_refuses_a_snapshot_without_a_zone(tmp_path):
    with pytest.raises(CommandError):
        call_command("generate_history", str(tmp_path), "--snapshot", "2025-03-01T00:00:00")


def test_months_after_keeps_the_day_or_the_month_end():
    assert months_after(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert months_after(date(2024, 11, 15), 4) == date(2025, 3, 15)


def test_pending_work_follows_the_daily_volume_not_the_length(tmp_path, monkeypatch):
    """Streaming: four times the months at the same daily volume keeps the same state."""
    peaks = []
    forget = HistoryGenerator._forget

    def measure(self, before):
        forget(self, before)
        pending = len(self.heap) + len(self.out) + len(self.last_inbound) + len(self.recent)
        peaks[-1] = max(peaks[-1], pending)

    monkeypatch.setattr(HistoryGenerator, "_forget", measure)
    for months in (2, 8):
        peaks.append(0)
        history_generate(
            tmp_path / str(months), contacts=3000 * months, start=date(2025, 2, 1), months=months
        )

    short, long = peaks
    assert 0 < long < 1.5 * short


def test_agents_states_follow_their_contacts(history):
    _, _, tables = history
    states = defaultdict(list)
    for s in tables["agent_states"]:
        states[s["agent_id"]].append(
            (_ts(s["started_at"]), _ts(s["ended_at"]) if s["ended_at"] else None, s["state"])
        )
    handled = [
        c for c in tables["contacts"] if c["agent_id"] and c["answered_at"] and c["handle_seconds"]
    ]

    for stretches in states.values():
        # One state at a time, each ending where the next starts; only the last is open.
        assert all(a[1] == b[0] for a, b in pairwise(stretches))
        assert all(end is not None for _s, end, _state in stretches[:-1])
        assert [s[2] for s in stretches[:2]] == ["logged_in", "available"]
        assert stretches[-1][2] == "logged_out"
    for c in handled[:: max(1, len(handled) // 300)]:
        answered = _ts(c["answered_at"])
        around = [s for s in states[c["agent_id"]] if s[0] <= answered < (s[1] or 2**40)]
        assert [s[2] for s in around] == ["handling"]
    kinds = Counter(s["state"] for s in tables["agent_states"])
    assert kinds["break"] and kinds["after_contact_work"] >= 0.5 * kinds["handling"]


def test_agents_states_look_like_a_staffed_centre(history):
    # Occupancy = (handling + after-contact work) / (logged in - breaks), per team: most teams
    # inside the default 70-90 % band, the VIP desk over-staffed, Lille under-staffed; breaks
    # take about 10 % of logged-in time (15 minutes every 2 hours).
    _, _, tables = history
    team_of = {c["agent_id"]: c["team"] for c in tables["contacts"] if c["agent_id"]}
    seconds: dict[str, Counter] = defaultdict(Counter)
    for s in tables["agent_states"]:
        if s["ended_at"]:
            seconds[team_of[s["agent_id"]]][s["state"]] += _ts(s["ended_at"]) - _ts(s["started_at"])
    occupancy, breaks = {}, {}
    for team, by_state in seconds.items():
        logged_in = sum(v for state, v in by_state.items() if state != "logged_out")
        work = by_state["handling"] + by_state["after_contact_work"]
        occupancy[team] = work / (logged_in - by_state["break"])
        breaks[team] = by_state["break"] / logged_in

    others = {t: o for t, o in occupancy.items() if t not in ("vip", "lille_n1")}
    assert occupancy["vip"] < 0.65 and occupancy["lille_n1"] > 0.9, occupancy
    assert all(0.7 < o < 0.88 for o in others.values()), others
    assert all(0.06 < b < 0.14 for b in breaks.values()), breaks
