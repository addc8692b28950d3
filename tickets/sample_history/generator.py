"""A simulated customer service, written straight to the five history CSV files.

The simulation walks the period one local day at a time. Each new ticket is planned whole when
its first contact happens (its later contacts, when it is solved, whether the customer comes
back); the later contacts wait in a heap ordered by time, so rows come out in time order with
ids in that order, as a helpdesk export would. Survey answers, agent ratings and repeat causes
wait in a second heap until their own time. Memory holds only what is still to come and the last
week of inbound contacts (to know which ones are repeats), never the history: it follows the
daily volume, not the number of rows (about 30 MB for 1,000,000 contacts over 18 months).
"""

import csv
import heapq
import math
import random
from bisect import bisect
from collections import deque
from datetime import date
from pathlib import Path

from . import profile as p
from . import shifts
from .clock import DAY, WEEK, Calendar
from .planner import (
    AGENT,
    ANSWERED,
    CHANNEL,
    COMEBACK,
    CUSTOMER,
    DIRECTION,
    ENDED,
    FIRST,
    HANDLE,
    HINT,
    REASON,
    RESOLVES,
    SAT,
    START,
    TEAM,
    TICKET,
    TicketPlanner,
    cumulative,
)

HEADERS = {
    "contacts.csv": (
        "contact_id", "ticket_id", "customer_id", "channel", "reason", "agent_id", "team",
        "direction", "started_at", "answered_at", "ended_at", "handle_seconds",
    ),
    "tickets.csv": ("ticket_id", "customer_id", "reason", "priority", "created_at", "solved_at"),
    "responses.csv": (
        "response_id", "ticket_id", "contact_id", "kind", "score", "responded_at", "comment",
    ),
    "agent_ratings.csv": ("contact_id", "agent_id", "score", "rated_at"),
    "repeat_reasons.csv": ("contact_id", "reason_code", "answered_at"),
    "agent_states.csv": shifts.HEADER,
}  # fmt: skip

# Heap event kinds. A new ticket sorts before a contact of the same second.
_NEW, _CONTACT = 0, 1
_RESPONSE, _RATING, _REPEAT = 0, 1, 2

# Share of the cause an agent or customer gives that matches what actually went wrong.
_HINT_TRUST = 0.7


class HistoryGenerator:
    def __init__(
        self, contacts: int, seed: int, start: date, end: date, snapshot: int | None = None
    ) -> None:
        # Reproducible sample data, not secrets: a seeded PRNG is what we want.
        self.rng = random.Random(seed)  # noqa: S311
        self.seed = seed
        self.n_days = (end - start).days
        self.cal = Calendar(start, self.n_days)
        self.snapshot = self.cal.midnights[self.n_days] if snapshot is None else snapshot
        self.wanted = contacts
        months = max(1, round(self.n_days / 30.4))
        self.planner = TicketPlanner(self.rng, self.cal, contacts, months)
        self.pick, self.lognormal = self.planner.pick, self.planner.lognormal
        self.survey_sets = [kinds for kinds, _ in p.SURVEY_SETS]
        self.survey_cum = cumulative(weight for _, weight in p.SURVEY_SETS)
        self.heap: list = []
        self.out: list = []
        self.seq = 0
        self.ticket_id = self.contact_id = self.response_id = 0
        self.last_inbound: dict[tuple[int, str], int] = {}
        self.recent: deque = deque()
        self.counts = dict.fromkeys(HEADERS, 0)

    # --- the day loop --------------------------------------------------------------------
    def _push(self, heap: list, ts: int, kind: int, payload) -> None:
        self.seq += 1
        heapq.heappush(heap, (ts, kind, self.seq, payload))

    def _day_factor(self, i: int) -> float:
        day = self.cal.days[i]
        factor = p.WEEKDAY_FACTOR[day.weekday()] * p.MONTH_FACTOR[day.month]
        factor *= 1 + p.MONTHLY_TREND * (i / 30.4)
        return factor * (p.HOLIDAY_FACTOR if self.cal.holiday[i] else 1.0)

    def _open_day(self, i: int, base: float) -> None:
        """Draw the day's new tickets and queue their first contacts."""
        rng, cal = self.rng, self.cal
        mu = base * self._day_factor(i)
        n = max(0, round(rng.gauss(mu, math.sqrt(mu))))
        day, midnight = cal.days[i], cal.midnights[i]
        hours = None if cal.opening[i] is None else cal.opening[i]
        live_cum = (
            self.planner.saturday_hours_cum if day.weekday() == 5 else self.planner.live_hours_cum
        )
        reason_cum = self.planner.reason_cum[day.month]
        for _ in range(n):
            proactive = rng.random() < 0.012 and hours is not None
            if proactive:
                reason = p.PROACTIVE_REASONS[int(rng.random() * 3)]
                channel = p.PHONE if rng.random() < 0.6 else p.EMAIL
                hour = bisect(live_cum, rng.random() * live_cum[-1])
            else:
                reason = self.pick(self.planner.reasons, reason_cum)
                if hours is None:
                    channel = self.pick(
                        self.planner.channels_closed, self.planner.channel_cum_closed
                    )
                else:
                    channel = self.pick(self.planner.channels_open, self.planner.channel_cum_open)
                cum = live_cum if channel in p.LIVE else self.planner.written_hours_cum
                hour = bisect(cum, rng.random() * cum[-1])
            t = midnight + hour * 3600 + int(rng.random() * 3600)
            self._push(
                self.heap, t, _NEW, (self.planner.customer(), reason, channel, proactive, -1)
            )

    def _open_ticket(self, t0: int, payload) -> None:
        customer, reason, channel, proactive, hint = payload
        specs, solved, priority, comeback = self.planner.plan(
            t0, customer, reason, channel, proactive, hint
        )
        self.ticket_id += 1
        tid = self.ticket_id
        solved_text = (
            self.cal.fmt(solved) if solved is not None and solved < self.snapshot else None
        )
        self.w["tickets.csv"].writerow(
            (tid, customer, reason, priority, self.cal.fmt(t0), solved_text)
        )
        self.counts["tickets.csv"] += 1
        for spec in specs:
            spec[TICKET] = tid
        self._emit_contact(specs[0])
        for spec in specs[1:]:
            self._push(self.heap, spec[START], _CONTACT, spec)
        if comeback is not None:
            t, channel, hint = comeback
            self._push(self.heap, t, _NEW, (customer, reason, channel, False, hint))

    def _emit_contact(self, spec: list) -> None:
        rng, fmt, snapshot = self.rng, self.cal.fmt, self.snapshot
        start = spec[START]
        if start >= snapshot:
            return
        answered, ended, handle, agent, team = (
            spec[ANSWERED], spec[ENDED], spec[HANDLE], spec[AGENT], spec[TEAM],
        )  # fmt: skip
        if ended >= snapshot:
            if not spec[FIRST]:
                return
            # Still waiting for an answer when the history was taken.
            answered = ended = handle = agent = team = None
        self.contact_id += 1
        cid = self.contact_id
        customer, reason = spec[CUSTOMER], spec[REASON]
        self.w["contacts.csv"].writerow(
            (
                cid, spec[TICKET], customer, spec[CHANNEL], reason, agent,
                None if team is None else self.planner.teams[team], spec[DIRECTION], fmt(start),
                None if answered is None else fmt(answered),
                None if ended is None else fmt(ended), handle,
            )
        )  # fmt: skip
        self.counts["contacts.csv"] += 1
        if agent is not None and answered is not None and handle:
            self.shifts.busy(agent, answered, min(answered + handle, ended))
        if spec[DIRECTION] == p.INBOUND:
            key = (customer, reason)
            previous = self.last_inbound.get(key)
            self.last_inbound[key] = start
            self.recent.append((start, key))
            if (previous is not None and start - previous <= WEEK) or (
                spec[FIRST] and spec[COMEBACK]
            ):
                self._repeat_reason(cid, spec, answered, ended)
        if answered is None:
            return
        if agent is not None and rng.random() < 0.4:
            rated = ended + 5 + min(self.lognormal(60, 1.0), 1200)
            score = round(
                3.6 + 0.7 * spec[SAT] + self.planner.optimism[agent - 1] + rng.gauss(0, 0.6)
            )
            self._push(self.out, rated, _RATING, (cid, agent, min(5, max(1, score))))
        if rng.random() < (0.075 if spec[RESOLVES] else 0.022):
            self._responses(cid, spec, ended)

    def _repeat_reason(self, cid: int, spec: list, answered: int | None, ended: int | None) -> None:
        rng = self.rng
        if spec[AGENT] is not None and answered is not None and rng.random() < 0.32:
            at = answered + 1 + int(rng.random() * spec[HANDLE])  # the agent notes it on the call
        elif rng.random() < 0.1:
            at = (ended or spec[START]) + 60 + self.lognormal(3 * 3600, 1)  # the customer says it
        else:
            return
        hint = spec[HINT]
        if hint < 0 or rng.random() > _HINT_TRUST:
            hint = bisect(self.planner.repeat_cum, rng.random() * self.planner.repeat_cum[-1])
        self._push(self.out, at, _REPEAT, (cid, p.REPEAT_CODES[hint]))

    def _responses(self, cid: int, spec: list, ended: int) -> None:
        rng, sat = self.rng, spec[SAT]
        kinds = self.pick(self.survey_sets, self.survey_cum)
        at = ended + 60 + min(self.lognormal(5 * 3600, 1.3), WEEK)
        for n, kind in enumerate(kinds):
            if kind == "nps":
                score = min(10, max(0, round(6.9 + 1.6 * sat + rng.gauss(0, 1.1))))
            elif kind == "csat":
                score = 1 + bisect((-1.2, -0.45, 0.15, 1.0), sat + rng.gauss(0, 0.3))
            else:
                score = min(7, max(1, round(5.1 + 0.9 * sat + rng.gauss(0, 0.8))))
            comment = None
            if n == len(kinds) - 1 and rng.random() < 0.3:
                language = "fr" if rng.random() < p.FRENCH_SHARE else "en"
                mood = "bad" if sat < -0.3 else "good" if sat > 0.9 else "mixed"
                choices = p.COMMENTS[language][mood]
                comment = choices[int(rng.random() * len(choices))]
            self._push(self.out, at, _RESPONSE, (spec[TICKET], cid, kind, score, comment))
            at += 6 + int(rng.random() * 35)

    def _drain(self, until: int) -> None:
        heap, pop = self.heap, heapq.heappop
        while heap and heap[0][0] < until:
            ts, kind, _, payload = pop(heap)
            if kind == _NEW:
                self._open_ticket(ts, payload)
            else:
                self._emit_contact(payload)

    def _flush(self, until: int) -> None:
        out, pop, fmt = self.out, heapq.heappop, self.cal.fmt
        while out and out[0][0] < until:
            ts, kind, _, row = pop(out)
            if kind == _RESPONSE:
                self.response_id += 1
                ticket, cid, survey, score, comment = row
                line = (self.response_id, ticket, cid, survey, score, fmt(ts), comment)
                self.w["responses.csv"].writerow(line)
                self.counts["responses.csv"] += 1
            elif kind == _RATING:
                self.w["agent_ratings.csv"].writerow((*row, fmt(ts)))
                self.counts["agent_ratings.csv"] += 1
            else:
                self.w["repeat_reasons.csv"].writerow((*row, fmt(ts)))
                self.counts["repeat_reasons.csv"] += 1

    def _forget(self, before: int) -> None:
        """Drop inbound contacts too old to make a later one a repeat."""
        recent, last = self.recent, self.last_inbound
        while recent and recent[0][0] < before:
            start, key = recent.popleft()
            if last.get(key) == start:
                del last[key]

    def _occupancy_target(self, agent: int) -> tuple[float, float]:
        """The occupancy range of the agent's team (agents are numbered team by team)."""
        team = bisect(self.planner.team_first, agent) - 1
        return p.TEAM_OCCUPANCY.get(self.planner.teams[team], p.OCCUPANCY)

    def run(self, out_dir: Path) -> dict[str, int]:
        out_dir.mkdir(parents=True, exist_ok=True)
        days = [i for i in range(self.n_days) if self.cal.midnights[i] < self.snapshot]
        total_factor = sum(self._day_factor(i) for i in days) or 1.0
        base = self.wanted / self.planner.contacts_per_ticket(self.seed + 7_777) / total_factor
        files = {name: open(out_dir / name, "w", newline="", encoding="utf-8") for name in HEADERS}  # noqa: SIM115
        try:
            self.w = {name: csv.writer(f, lineterminator="\n") for name, f in files.items()}
            for name, header in HEADERS.items():
                self.w[name].writerow(header)
            # Its own random stream: the other files stay what they were without states.
            self.shifts = shifts.ShiftWriter(
                self.w["agent_states.csv"].writerow,
                self.cal.fmt,
                random.Random(self.seed + 1),  # noqa: S311
                self._occupancy_target,
            )
            for i in days:
                until = min(self.cal.midnights[i + 1], self.snapshot)
                self._open_day(i, base)
                self._drain(until)
                self._flush(until)
                self.shifts.flush(until)
                self._forget(self.cal.midnights[i] - WEEK - DAY)
            self._drain(self.snapshot)
            self._flush(self.snapshot)
            self.shifts.close(self.snapshot)
            self.counts["agent_states.csv"] = self.shifts.count
        finally:
            for f in files.values():
                f.close()
        return self.counts
