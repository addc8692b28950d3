"""How one ticket goes: its contacts, who answers them and when, how it ends, who comes back.

A ticket is planned whole when its first contact happens. The plan is a list of contacts, each a
list indexed by the constants below (lists, not objects: a benchmark plans millions of them).
Satisfaction is a hidden score per contact, from the agent's skill, the reason, the wait and
the number of tries; survey answers and agents' ratings are drawn from it later.
"""

import math
import random
from bisect import bisect
from itertools import accumulate
from typing import Any

from . import profile as p
from .clock import DAY, WEEK, Calendar

# Indexes in a planned contact.
START, CHANNEL, DIRECTION, AGENT, TEAM, ANSWERED, ENDED, HANDLE = range(8)
SAT, RESOLVES, HINT, TICKET, CUSTOMER, REASON, FIRST, COMEBACK = range(8, 16)

_MAX_CONTACTS = 12


def cumulative(weights) -> list[float]:
    return list(accumulate(weights))


class TicketPlanner:
    def __init__(self, rng: random.Random, cal: Calendar, contacts: int, months: int) -> None:
        self.rng, self.cal, self.months = rng, cal, months
        self._setup_reasons()
        self._setup_channels()
        self._setup_teams(contacts)
        self.n_customers = max(20, round(contacts / 6.5))
        # A multiplier prime to n_customers scatters the busiest customers over the id range.
        self.scatter = next(m for m in range(7919, 10**7, 2) if math.gcd(m, self.n_customers) == 1)

    # --- set-up --------------------------------------------------------------------------
    def _setup_reasons(self) -> None:
        self.reasons = list(p.REASONS)
        self.reason_cum = {}
        for month in range(1, 13):
            weights = [
                p.REASONS[r][0] * p.REASON_SEASON.get(r, {}).get(month, 1.0) for r in self.reasons
            ]
            self.reason_cum[month] = cumulative(weights)
        self.priority_cum = cumulative(p.PRIORITY_WEIGHTS)
        self.repeat_cum = cumulative((30, 24, 16, 14, 16))

    def _setup_channels(self) -> None:
        channels = list(p.CHANNEL_SHARES)
        self.channels_open = channels
        self.channel_cum_open = cumulative(p.CHANNEL_SHARES[c] for c in channels)
        self.channels_closed = [c for c in channels if c not in p.LIVE]
        self.channel_cum_closed = cumulative(p.CHANNEL_SHARES[c] for c in self.channels_closed)
        self.live_hours_cum = cumulative(p.LIVE_HOURS)
        saturday = [w if 9 <= h < 17 else 0 for h, w in enumerate(p.LIVE_HOURS)]
        self.saturday_hours_cum = cumulative(saturday)
        self.written_hours_cum = cumulative(p.WRITTEN_HOURS)

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
        self.live_cum = cumulative(p.TEAMS[i][2] for i in self.live_teams)
        self.expert_teams = kinds["expert"]
        self.written_teams = kinds["written"]
        self.social_team = kinds["social"][0]
        self.vip_team = kinds["vip"][0]
        self.back_office = self.teams.index("back_office")

    def pick(self, items, cum):
        return items[bisect(cum, self.rng.random() * cum[-1])]

    def lognormal(self, median: float, sigma: float) -> int:
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
        return self.pick(self.live_teams, self.live_cum)

    def customer(self) -> int:
        # A few customers come back often, most once or twice.
        k = int(self.n_customers * self.rng.random() ** 1.7)
        return k * self.scatter % self.n_customers + 1

    def channel_at(self, ts: int) -> str:
        if self.cal.is_open(ts):
            return self.pick(self.channels_open, self.channel_cum_open)
        return self.pick(self.channels_closed, self.channel_cum_closed)

    def _contact(self, spec: list, reason: str, agent: int | None) -> float:
        """Fill in who answered, when, and for how long; return a satisfaction penalty."""
        rng = self.rng
        start, channel, direction, team = spec[START], spec[CHANNEL], spec[DIRECTION], spec[TEAM]
        if channel == p.CHATBOT:
            handle = 15 + self.lognormal(p.HANDLE_MEDIAN[channel], 0.6)
            spec[ANSWERED], spec[ENDED], spec[HANDLE] = start, start + handle, handle
            spec[TEAM] = None
            return 0.0
        if agent is None:
            agent = self._agent_of(team)
        factor = self.speed[agent - 1] * p.REASONS[reason][2]
        if self.team_kind[team] == "expert":
            factor *= 1.3
        handle = 20 + self.lognormal(p.HANDLE_MEDIAN[channel] * factor, 0.5)
        penalty = 0.0
        if direction == p.OUTBOUND:
            answered = start + (4 + int(rng.random() * 20) if channel == p.PHONE else 0)
        elif channel in p.LIVE:
            handle = min(handle, 2 * 3600)
            i, local = self.cal.local_seconds(start)
            load = p.LOAD_BY_HOUR[min(23, local // 3600)]
            if self.cal.days[i].weekday() == 0:
                load *= 1.3
            wait = self.lognormal(p.ANSWER_MEDIAN[channel] * load, 0.9)
            if channel == p.PHONE and wait > rng.expovariate(1 / 640):
                # The caller hangs up before anyone answers: no agent, no handle time.
                spec[ENDED] = start + 1 + int(wait * rng.random())
                spec[TEAM] = None
                return 0.0
            answered = start + wait
            penalty = 0.6 if wait > 180 else 0.0
        else:
            queued = start + 30 + self.lognormal(p.ANSWER_MEDIAN[channel], 1.0)
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

    def plan(self, t0: int, customer: int, reason: str, channel: str, proactive: bool, hint: int):
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
                    channel, t = p.PHONE, cal.next_open(spec[ENDED] + 20 + self.lognormal(900, 1))
                else:
                    channel, t = p.EMAIL, spec[ENDED] + 60 + self.lognormal(2 * 3600, 1)
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
                    channel, t = p.EMAIL, ended + 60 + self.lognormal(1800, 1)
                direction, agent = p.INBOUND, None
                team = self._team_for(channel, False, vip)
            elif spec[AGENT] and k < 6 and rng.random() < 0.3:
                hint = 0  # not_taken_into_account, if the call-back does not settle it
                agent, team = spec[AGENT], spec[TEAM]
                direction = p.OUTBOUND
                channel = p.PHONE if rng.random() < 0.75 else p.EMAIL
                t = cal.next_open(ended + 600 + self.lognormal(3 * 3600, 1))
            else:
                escalated = rng.random() < (0.45 if reason == "technical" else 0.25)
                hint = 2 if escalated else self.pick(range(5), self.repeat_cum)
                direction, agent = p.INBOUND, None
                r = rng.random()
                edge = self._previous_inbound(specs) + WEEK + (r >= 0.996)
                if (r < 0.004 or r >= 0.996) and edge > ended:
                    # Planted at the edge of the repeat window: exactly 7 days, or 1 s more.
                    channel, t = p.EMAIL, edge
                else:
                    if rng.random() > 0.55:
                        channel = self.pick(self.channels_open, self.channel_cum_open)
                    t = ended + 60 + self.lognormal(18 * 3600, 1.3)
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
            return cal.next_open(last[ENDED] + self.lognormal(DAY, 0.5))
        if r < 0.12:
            # Solved later by the back office (a refund, a replacement parcel).
            return cal.next_open(last[ENDED] + self.lognormal(20 * 3600, 0.8))
        if last[CHANNEL] in p.LIVE and r < 0.6:
            return last[ANSWERED] + int(last[HANDLE] * (0.6 + 0.4 * rng.random()))
        return last[ENDED] + 5 + self.lognormal(900, 1.2)

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
        t = solved + 60 + self.lognormal(2.5 * DAY, 0.9)
        channel = self.channel_at(t)
        return t, channel, hint

    def contacts_per_ticket(self, seed: int) -> float:
        """Mean contacts a new ticket brings (its own and its comebacks'), by a dry run."""
        saved, self.rng = self.rng, random.Random(seed)  # noqa: S311
        first_open = next(i for i, o in enumerate(self.cal.opening) if o is not None)
        t0 = self.cal.midnights[first_open] + 11 * 3600
        contacts = comebacks = 0
        sample = 3000
        for _ in range(sample):
            channel = self.pick(self.channels_open, self.channel_cum_open)
            reason = self.pick(self.reasons, self.reason_cum[1])
            specs, _, _, comeback = self.plan(t0, self.customer(), reason, channel, False, -1)
            contacts += len(specs)
            comebacks += comeback is not None
        self.rng = saved
        return contacts / sample / (1 - comebacks / sample)
