"""Agents' states that agree with the contacts they handled, for agent_states.csv.

A staffed centre: agents are logged in to the queue about as long as its volume needs, so that
their occupancy ((handling + after-contact work) / (logged in - breaks)) stays near their team's
target (profile.TEAM_OCCUPANCY, drawn per contact within the team's range). Each agent's busy
stretches (answer to answer + handle time; overlapping chats merged) are read in time order;
each is followed by after-contact work, and the available time around it is what the target
leaves: work x (1 / target - 1), half before the contact, half after. A gap longer than that
(by AWAY or more) is spent off the queue: available for the half after, logged out, then logged
in (a few seconds, part of the half before the next contact) and available; a shorter gap stays
available (busy hours run hotter). After BREAK_EVERY of logged-in time the agent takes a BREAK
in the next gap long enough. Stretches arrive as the simulation goes; those starting before the
simulated clock are final (a contact is written at its start and answered after it), so only
the not-yet-final ones are held.
"""

from collections import defaultdict
from collections.abc import Callable

BREAK_EVERY = 2 * 3600
BREAK = 15 * 60
LOGIN = 15
# Off the queue only for gaps longer than the idle time by this much.
AWAY = 5 * 60

HEADER = ("agent_id", "state", "started_at", "ended_at")


class _Agent:
    __slots__ = ("busy", "logged_out_at", "start", "worked")

    def __init__(self) -> None:
        self.start: int | None = None  # the current busy stretch
        self.busy = 0  # its end
        self.worked = 0  # logged-in seconds since the last break
        self.logged_out_at: int | None = None


class ShiftWriter:
    def __init__(
        self,
        write: Callable,
        fmt: Callable[[int], str],
        rng,
        target: Callable[[int], tuple[float, float]] = lambda agent: (0.74, 0.88),
    ) -> None:
        self.write, self.fmt, self.rng, self.target = write, fmt, rng, target
        self.pending: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.agents: dict[int, _Agent] = defaultdict(_Agent)
        self.count = 0

    def busy(self, agent: int, start: int, end: int) -> None:
        if end > start:
            self.pending[agent].append((start, end))

    def flush(self, until: int) -> None:
        """Write what the stretches starting before `until` decide."""
        for agent, stretches in self.pending.items():
            stretches.sort()
            ready = [s for s in stretches if s[0] < until]
            if ready:
                del stretches[: len(ready)]
                for start, end in ready:
                    self._next(agent, start, end)

    def close(self, end: int) -> None:
        """Close every shift (nothing comes after `end`); the last logged-out state stays open."""
        self.flush(end + 1)
        for agent, a in self.agents.items():
            if a.start is not None:
                self._after(agent, a, end, final=True)
            self._emit(agent, a, "logged_out", a.logged_out_at, None)

    def _emit(self, agent: int, a: _Agent, state: str, start: int | None, end: int | None) -> None:
        if start is None or (end is not None and end <= start):
            return
        self.write((agent, state, self.fmt(start), None if end is None else self.fmt(end)))
        self.count += 1
        if state == "break":
            a.worked = 0
        elif state != "logged_out" and end is not None:
            a.worked += end - start

    def _idle(self, agent: int, work: int) -> int:
        """Available time a stretch of `work` seconds comes with, for the agent's target."""
        low, high = self.target(agent)
        occupancy = low + (high - low) * self.rng.random()
        return int(work * (1 / occupancy - 1))

    def _next(self, agent: int, start: int, end: int) -> None:
        a = self.agents[agent]
        if a.start is not None and start <= a.busy:  # a second chat at once: one busy stretch
            a.busy = max(a.busy, end)
            return
        if a.start is None:
            lead = max(2 * LOGIN, self._idle(agent, end - start) // 2)
            opened = max(start - lead, a.logged_out_at or 0)
            self._emit(agent, a, "logged_out", a.logged_out_at, opened)
            self._emit(agent, a, "logged_in", opened, opened + LOGIN)
            self._emit(agent, a, "available", opened + LOGIN, start)
        else:
            self._after(agent, a, start, final=False)
        a.start, a.busy = start, end

    def _after(self, agent: int, a: _Agent, until: int, final: bool) -> None:
        """The current stretch's handling and after-contact work, then what fills to `until`."""
        assert a.start is not None
        self._emit(agent, a, "handling", a.start, a.busy)
        wrap = min(a.busy + 20 + int(self.rng.expovariate(1 / 40)), until)
        self._emit(agent, a, "after_contact_work", a.busy, wrap)
        half = self._idle(agent, wrap - a.start) // 2
        gap = until - wrap
        if not final and gap < 2 * half + AWAY:
            self._available(agent, a, wrap, until)
            return
        # Off the queue until the next contact (or for good): what the target leaves, first.
        away = min(wrap + half, until)
        back = until if final else until - max(half, 2 * LOGIN)
        self._emit(agent, a, "available", wrap, away)
        if a.worked >= BREAK_EVERY and back - away >= BREAK + LOGIN:
            self._emit(agent, a, "break", away, away + BREAK)
            away += BREAK
        a.start = None
        if final:
            a.logged_out_at = away
            return
        self._emit(agent, a, "logged_out", away, back)
        self._emit(agent, a, "logged_in", back, back + LOGIN)
        self._emit(agent, a, "available", back + LOGIN, until)

    def _available(self, agent: int, a: _Agent, start: int, until: int) -> None:
        """Available through a short gap, with the break that is due if it fits."""
        if a.worked >= BREAK_EVERY and until - start >= BREAK + 5 * 60:
            self._emit(agent, a, "available", start, start + 120)
            self._emit(agent, a, "break", start + 120, start + 120 + BREAK)
            self._emit(agent, a, "available", start + 120 + BREAK, until)
        else:
            self._emit(agent, a, "available", start, until)
