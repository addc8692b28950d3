"""A simulated customer service, written straight to the five history CSV files.

The simulation walks the period one local day at a time. Each new ticket is planned whole when
its first contact happens (its later contacts, when it is solved, whether the customer comes
back); the later contacts wait in a heap ordered by time, so rows come out in time order with
ids in that order, as a helpdesk export would. Survey answers, agent ratings and repeat causes
wait in a second heap until their own time. Memory holds only what is still to come and the last
week of inbound contacts (to know which ones are repeats), never the whole history: 1,000,000
contacts take the same memory as 10,000.
"""

import csv
import heapq
import math
import random
from bisect import bisect
from collections import deque
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Any

from . import profile as p
from .clock import DAY, WEEK, Calendar

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
}  # fmt: skip

# Heap event kinds. A new ticket sorts before a contact of the same second.
_NEW, _CONTACT = 0, 1
_RESPONSE, _RATING, _REPEAT = 0, 1, 2

# Indexes in a planned contact (a list, for speed).
START, CHANNEL, DIRECTION, AGENT, TEAM, ANSWERED, ENDED, HANDLE = range(8)
SAT, RESOLVES, HINT, TICKET, CUSTOMER, REASON, FIRST, COMEBACK = range(8, 16)

_MAX_CONTACTS = 12
# Share of the cause an agent or customer gives that matches what actually went wrong.
_HINT_TRUST = 0.7


def _cumulative(weights):
    return list(accumulate(weights))


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
        self.months = max(1, round(self.n_days / 30.4))
        self.wanted = contacts
        self._setup_reasons(start)
        self._setup_channels()
        self._setup_teams(contacts)
        self.n_customers = max(20, round(contacts / 6.5))
        # A multiplier prime to n_customers scatters the busiest customers over the id range.
        self.scatter = next(m for m in range(7919, 10**7, 2) if math.gcd(m, self.n_customers) == 1)
        self.heap: list = []
        self.out: list = []
        self.seq = 0
        self.ticket_id = self.contact_id = self.response_id = 0
        self.last_inbound: dict[tuple[int, str], int] = {}
        self.recent: deque = deque()
        self.counts = dict.fromkeys(HEADERS, 0)

    # --- set-up --------------------------------------------------------------------------
    def _setup_reasons(self, start: date) -> None:
        self.reasons = list(p.REASONS)
        self.reason_cum = {}
        for month in range(1, 13):
            weights = [
                p.REASONS[r][0] * p.REASON_SEASON.get(r, {}).get(month, 1.0) for r in self.reasons
            ]
            self.reason_cum[month] = _cumulative(weights)
        self.priority_cum = _cumulative(p.PRIORITY_WEIGHTS)
        self.repeat_cum = _cumulative((30, 24, 16, 14, 16))
        self.survey_sets = [kinds for kinds, _ in p.SURVEY_SETS]
        self.survey_cum = _cumulative(weight for _, weight in p.SURVEY_SETS)

    def _setup_channels(self) -> None:
        channels = list(p.CHANNEL_SHARES)
        self.channels_open = channels
        self.channel_cum_open = _cumulative(p.CHANNEL_SHARES[c] for c in channels)
        self.channels_closed = [c for c in channels if c not in p.LIVE]
        self.channel_cum_closed = _cumulative(p.CHANNEL_SHARES[c] for c in self.channels_closed)
        self.live_hours_cum = _cumulative(p.LIVE_HOURS)
        saturday = [w if 9 <= h < 17 else 0 for h, w in enumerate(p.LIVE_HOURS)]
        self.saturday_hours_cum = _cumulative(saturday)
        self.written_hours_cum = _cumulative(p.WRITTEN_HOURS)

    def _setup_teams(self, contacts: int) -> None:
        rng = self.rng
        # About one agent per 40 contacts a month, two per team at least, 400 at most.
        n_agents = min(400, max(2 * len(p.TEAMS), round(contacts / self.months / 40)))
        total = sum(size for _, _, size in p.TEAMS)
        self.teams = [name for name, _, _ in p.TEAMS]
        self.team_first: list[int] = []
        self.team_size: list[int] = []
        next_id = 1
        for _, _, size in p.TEAMS:
            n = max(2, round(n_agents * size / total))
            self.team_first.append(next_id)
            self.team_size.append(n)
            next_id += n
        self.n_agents = next_id - 1
        self.skill = [rng.gauss(0, 0.35) for _ in range(self.n_agents)]
        self.speed = [math.exp(rng.gauss(0, 0.15)) for _ in range(self.n_agents)]
        self.optimism = [rng.gauss(0.3, 0.35) for _ in range(self.n_agents)]
        kinds: dict[str, list[int]] = {}
        for i, (_, kind, _) in enumerate(p.TEAMS):
            kinds.setdefault(kind, []).append(i)
        self.team_kind = [kind for _, kind, _ in p.TEAMS]
        self.live_teams = kinds["live"]
        self.live_cum = _cumulative(p.TEAMS[i][2] for i in self.live_teams)
        self.expert_teams = kinds["expert"]
        self.written_teams = kinds["written"]
        self.social_team = kinds["social"][0]
        self.vip_team = kinds["vip"][0]
        self.back_office = self.teams.index("back_office")

    # --- small draws ---------------------------------------------------------------------
    def _pick(self, items, cum):
        return items[bisect(cum, self.rng.random() * cum[-1])]

    def _lognormal(self, median: float, sigma: float) -> int:
        return int(median * math.exp(self.rng.gauss(0, sigma)))

    def _agent_of(self, team: int) -> int:
        return self.team_first[team] + int(self.rng.random() * self.team_size[team])

    def _team_for(self, channel: str, escalated: bool, vip: bool) -> int:
        rng = self.rng
        if vip:
            return self.vip_team
        if channel in p.SOCIAL:
            return self.social_team
        if escalated:
            if channel in p.WRITTEN and rng.random() < 0.5:
                return self.back_office
            return self.expert_teams[int(rng.random() * len(self.expert_teams))]
        if channel in p.WRITTEN:
            return self.written_teams[0] if rng.random() < 0.7 else self.back_office
        return self._pick(self.live_teams, self.live_cum)

    def _customer(self) -> int:
        # A few customers come back often, most once or twice.
        k = int(self.n_customers * self.rng.random() ** 1.7)
        return k * self.scatter % self.n_customers + 1

    def _channel_at(self, ts: int) -> str:
        if self.cal.is_open(ts):
            return self._pick(self.channels_open, self.channel_cum_open)
        return self._pick(self.channels_closed, self.channel_cum_closed)

    # --- one contact ---------------------------------------------------------------------
    def _contact(self, spec: list, reason: str, agent: int | None) -> float:
        """Fill in who answered, when, and for how long; return a satisfaction penalty."""
        rng = self.rng
        start, channel, direction, team = spec[START], spec[CHANNEL], spec[DIRECTION], spec[TEAM]
        if channel == p.CHATBOT:
            handle = 15 + self._lognormal(p.HANDLE_MEDIAN[channel], 0.6)
            spec[ANSWERED], spec[ENDED], spec[HANDLE] = start, start + handle, handle
            spec[TEAM] = None
            return 0.0
        if agent is None:
            agent = self._agent_of(team)
        factor = self.speed[agent - 1] * p.REASONS[reason][2]
        if self.team_kind[team] == "expert":
            factor *= 1.3
        handle = 20 + self._lognormal(p.HANDLE_MEDIAN[channel] * factor, 0.5)
        penalty = 0.0
        if direction == p.OUTBOUND:
            answered = start + (4 + int(rng.random() * 20) if channel == p.PHONE else 0)
        elif channel in p.LIVE:
            handle = min(handle, 2 * 3600)
            i, local = self.cal.local_seconds(start)
            load = p.LOAD_BY_HOUR[min(23, local // 3600)]
            if self.cal.days[i].weekday() == 0:
                load *= 1.3
            wait = self._lognormal(p.ANSWER_MEDIAN[channel] * load, 0.9)
            if channel == p.PHONE and wait > rng.expovariate(1 / 640):
                # The caller hangs up before anyone answers: no agent, no handle time.
                spec[ENDED] = start + 1 + int(wait * rng.random())
                spec[TEAM] = None
                return 0.0
            answered = start + wait
            penalty = 0.6 if wait > 180 else 0.0
        else:
            queued = start + 30 + self._lognormal(p.ANSWER_MEDIAN[channel], 1.0)
            answered = self.cal.next_open(queued)
            if answered != queued:
                # Opening time: the night's backlog is worked through in the first hours.
                answered = self.cal.next_open(answered + int(rng.random() * 3 * 3600))
            penalty = 0.5 if answered - start > DAY else 0.0
        spec[AGENT], spec[ANSWERED], spec[ENDED], spec[HANDLE] = (
            agent,
            answered,
            answered + handle,
            handle,
        )
        return penalty

    # --- one ticket ----------------------------------------------------------------------
    def _plan(self, t0: int, customer: int, reason: str, channel: str, proactive: bool, hint: int):
        """Every contact of a new ticket, when it is solved, and whether the customer returns."""
        rng, cal = self.rng, self.cal
        _, p_first, _, mood = p.REASONS[reason]
        vip = customer % 37 == 0
        comeback = hint >= 0
        direction = p.OUTBOUND if proactive else p.INBOUND
        team = self.back_office if proactive else self._team_for(channel, False, vip)
        agent = None
        escalated = False
        abandoned_before = False
        specs: list[list[Any]] = []
        t = t0
        for k in range(_MAX_CONTACTS):
            spec: list[Any] = [t, channel, direction, None, team, None, None, None]
            spec += [0.0, False, hint, 0, customer, reason, k == 0, comeback]
            penalty = self._contact(spec, reason, agent)
            specs.append(spec)
            last = k == _MAX_CONTACTS - 1
            if spec[ANSWERED] is None:
                abandoned_before = True
                hint = 4  # other
                if rng.random() < 0.85:
                    channel, t = p.PHONE, cal.next_open(spec[ENDED] + 20 + self._lognormal(900, 1))
                else:
                    channel, t = p.EMAIL, spec[ENDED] + 60 + self._lognormal(2 * 3600, 1)
                direction, agent, team = p.INBOUND, None, self._team_for(channel, False, vip)
                if not last:
                    continue
                break
            skill = self.skill[spec[AGENT] - 1] if spec[AGENT] else -0.2
            if channel == p.CHATBOT:
                resolves = rng.random() < p_first * 0.6
            elif proactive and k == 0:
                resolves = rng.random() < 0.55
            else:
                chance = p_first + 0.1 * k + 0.12 * skill + (0.05 if vip else 0.0)
                resolves = last or rng.random() < chance
            sat = 0.55 + mood + skill - 0.45 * min(k, 4) - penalty + rng.gauss(0, 0.9)
            sat += (0.8 if resolves else -0.6) - 0.8 * abandoned_before - 0.9 * comeback
            spec[SAT], spec[RESOLVES] = sat, resolves
            if k == 0 and channel == p.WEB_FORM and not proactive and rng.random() < 0.02:
                # The customer also wrote by email, in the same second: two contacts, one time.
                desk = self.written_teams[0]
                twin: list[Any] = [t0, p.EMAIL, p.INBOUND, None, desk, None, None, None]
                twin += [sat, False, -1, 0, customer, reason, False, comeback]
                self._contact(twin, reason, None)
                specs.append(twin)
            if resolves:
                break
            # Not solved yet: the service calls back, or the customer tries again.
            ended = spec[ENDED]
            if channel == p.CHATBOT:
                hint = 3  # unclear_answer
                if cal.is_open(ended) and rng.random() < 0.7:
                    channel, t = p.CHAT, ended + int(rng.random() * 40)
                else:
                    channel, t = p.EMAIL, ended + 60 + self._lognormal(1800, 1)
                direction, agent = p.INBOUND, None
                team = self._team_for(channel, False, vip)
            elif spec[AGENT] and k < 6 and rng.random() < 0.3:
                hint = 0  # not_taken_into_account, if the call-back does not settle it
                agent, team = spec[AGENT], spec[TEAM]
                direction = p.OUTBOUND
                channel = p.PHONE if rng.random() < 0.75 else p.EMAIL
                t = cal.next_open(ended + 600 + self._lognormal(3 * 3600, 1))
            else:
                escalated = rng.random() < (0.45 if reason == "technical" else 0.25)
                hint = 2 if escalated else self._pick(range(5), self.repeat_cum)
                direction, agent = p.INBOUND, None
                r = rng.random()
                edge = self._previous_inbound(specs) + WEEK + (r >= 0.996)
                if (r < 0.004 or r >= 0.996) and edge > ended:
                    # Planted at the edge of the repeat window: exactly 7 days, or 1 s more.
                    channel, t = p.EMAIL, edge
                else:
                    if rng.random() > 0.55:
                        channel = self._pick(self.channels_open, self.channel_cum_open)
                    t = ended + 60 + self._lognormal(18 * 3600, 1.3)
                    if channel in p.LIVE:
                        t = cal.next_open(t)
                team = self._team_for(channel, escalated, vip)
        solved = self._solved_at(specs[-1])
        return specs, solved, self._priority(reason, vip), self._comeback(solved, reason, specs)

    @staticmethod
    def _previous_inbound(specs: list[list]) -> int:
        starts = [s[START] for s in specs if s[DIRECTION] == p.INBOUND]
        return max(starts) if starts else specs[-1][START]

    def _solved_at(self, last: list) -> int | None:
        rng, cal = self.rng, self.cal
        r = rng.random()
        if r < 0.004:
            return None  # forgotten in the backlog
        if last[ANSWERED] is None:
            return cal.next_open(last[ENDED] + self._lognormal(DAY, 0.5))
        if r < 0.12:
            # Solved later by the back office (a refund, a replacement parcel).
            return cal.next_open(last[ENDED] + self._lognormal(20 * 3600, 0.8))
        if last[CHANNEL] in p.LIVE and r < 0.6:
            return last[ANSWERED] + int(last[HANDLE] * (0.6 + 0.4 * rng.random()))
        return last[ENDED] + 5 + self._lognormal(900, 1.2)

    def _priority(self, reason: str, vip: bool) -> str:
        level = bisect(self.priority_cum, self.rng.random() * self.priority_cum[-1])
        level += p.PRIORITY_SHIFT.get(reason, 0) * (self.rng.random() < 0.5) + vip
        return p.PRIORITIES[min(level, 3)]

    def _comeback(self, solved: int | None, reason: str, specs: list[list]):
        """Whether the customer opens a new ticket on the same reason after this one is solved."""
        if solved is None:
            return None
        rng = self.rng
        chance = 0.06 + (0.05 if p.REASONS[reason][3] < 0 else 0) + (0.05 if len(specs) > 2 else 0)
        if rng.random() >= chance:
            return None
        hint = 1 if rng.random() < 0.5 else 0
        r = rng.random()
        if r < 0.09:
            # Planted edges of the FCR window: at solved_at (outside), +7 days (in), +7 days 1 s.
            channel = p.ALWAYS_OPEN[int(rng.random() * 3)]
            return solved + (0, WEEK, WEEK + 1)[int(r / 0.03)], channel, hint
        t = solved + 60 + self._lognormal(2.5 * DAY, 0.9)
        channel = self._channel_at(t)
        return t, channel, hint

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
        live_cum = self.saturday_hours_cum if day.weekday() == 5 else self.live_hours_cum
        reason_cum = self.reason_cum[day.month]
        for _ in range(n):
            proactive = rng.random() < 0.012 and hours is not None
            if proactive:
                reason = p.PROACTIVE_REASONS[int(rng.random() * 3)]
                channel = p.PHONE if rng.random() < 0.6 else p.EMAIL
                hour = bisect(live_cum, rng.random() * live_cum[-1])
            else:
                reason = self._pick(self.reasons, reason_cum)
                if hours is None:
                    channel = self._pick(self.channels_closed, self.channel_cum_closed)
                else:
                    channel = self._pick(self.channels_open, self.channel_cum_open)
                cum = live_cum if channel in p.LIVE else self.written_hours_cum
                hour = bisect(cum, rng.random() * cum[-1])
            t = midnight + hour * 3600 + int(rng.random() * 3600)
            self._push(self.heap, t, _NEW, (self._customer(), reason, channel, proactive, -1))

    def _open_ticket(self, t0: int, payload) -> None:
        customer, reason, channel, proactive, hint = payload
        specs, solved, priority, comeback = self._plan(
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
                None if team is None else self.teams[team], spec[DIRECTION], fmt(start),
                None if answered is None else fmt(answered),
                None if ended is None else fmt(ended), handle,
            )
        )  # fmt: skip
        self.counts["contacts.csv"] += 1
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
            rated = ended + 5 + min(self._lognormal(60, 1.0), 1200)
            score = round(3.6 + 0.7 * spec[SAT] + self.optimism[agent - 1] + rng.gauss(0, 0.6))
            self._push(self.out, rated, _RATING, (cid, agent, min(5, max(1, score))))
        if rng.random() < (0.075 if spec[RESOLVES] else 0.022):
            self._responses(cid, spec, ended)

    def _repeat_reason(self, cid: int, spec: list, answered: int | None, ended: int | None) -> None:
        rng = self.rng
        if spec[AGENT] is not None and answered is not None and rng.random() < 0.32:
            at = answered + 1 + int(rng.random() * spec[HANDLE])  # the agent notes it on the call
        elif rng.random() < 0.1:
            at = (ended or spec[START]) + 60 + self._lognormal(3 * 3600, 1)  # the customer says it
        else:
            return
        hint = spec[HINT]
        if hint < 0 or rng.random() > _HINT_TRUST:
            hint = bisect(self.repeat_cum, rng.random() * self.repeat_cum[-1])
        self._push(self.out, at, _REPEAT, (cid, p.REPEAT_CODES[hint]))

    def _responses(self, cid: int, spec: list, ended: int) -> None:
        rng, sat = self.rng, spec[SAT]
        kinds = self._pick(self.survey_sets, self.survey_cum)
        at = ended + 60 + min(self._lognormal(5 * 3600, 1.3), WEEK)
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

    def _contacts_per_ticket(self) -> float:
        """Mean contacts a new ticket brings (its own and its comebacks'), by a dry run."""
        saved, self.rng = self.rng, random.Random(self.seed + 7_777)  # noqa: S311
        first_open = next(i for i, o in enumerate(self.cal.opening) if o is not None)
        t0 = self.cal.midnights[first_open] + 11 * 3600
        contacts = comebacks = 0
        sample = 3000
        for _ in range(sample):
            channel = self._pick(self.channels_open, self.channel_cum_open)
            reason = self._pick(self.reasons, self.reason_cum[1])
            specs, _, _, comeback = self._plan(t0, self._customer(), reason, channel, False, -1)
            contacts += len(specs)
            comebacks += comeback is not None
        self.rng = saved
        return contacts / sample / (1 - comebacks / sample)

    def run(self, out_dir: Path) -> dict[str, int]:
        out_dir.mkdir(parents=True, exist_ok=True)
        days = [i for i in range(self.n_days) if self.cal.midnights[i] < self.snapshot]
        total_factor = sum(self._day_factor(i) for i in days) or 1.0
        base = self.wanted / self._contacts_per_ticket() / total_factor
        files = {name: open(out_dir / name, "w", newline="", encoding="utf-8") for name in HEADERS}  # noqa: SIM115
        try:
            self.w = {name: csv.writer(f, lineterminator="\n") for name, f in files.items()}
            for name, header in HEADERS.items():
                self.w[name].writerow(header)
            for i in days:
                until = min(self.cal.midnights[i + 1], self.snapshot)
                self._open_day(i, base)
                self._drain(until)
                self._flush(until)
                self._forget(self.cal.midnights[i] - WEEK - DAY)
            self._drain(self.snapshot)
            self._flush(self.snapshot)
        finally:
            for f in files.values():
                f.close()
        return self.counts
