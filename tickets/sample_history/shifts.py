"""Agents' states that agree with the contacts they handled, for agent_states.csv.

Each agent's busy stretches (answer to answer + handle time; overlapping chats merged) are read
in time order. A shift opens 10 minutes before its first contact (logged in, then available) and
closes when the agent has nothing for SHIFT_GAP (available 5 minutes, then logged out until the
next shift). Between contacts: after-contact work, then available, with a 15-minute break in a
long enough gap once BREAK_EVERY has passed since the last one. Stretches arrive as the
simulation goes; those starting before the simulated clock are final (a contact is written at
its start and answered after it), so only the not-yet-final ones are held.
"""

from collections import defaultdict
from collections.abc import Callable

SHIFT_GAP = 3 * 3600
BREAK_EVERY = 2 * 3600
BREAK = 15 * 60
LEAD_IN = 10 * 60
WIND_DOWN = 5 * 60

HEADER = ("agent_id", "state", "started_at", "ended_at")


class _Agent:
    __slots__ = ("busy", "free_at", "last_break", "logged_out_at", "start")

    def __init__(self) -> None:
        self.start: int | None = None  # the current busy stretch
        self.busy = 0  # its end
        self.free_at = 0  # end of its after-contact work
        self.last_break = 0
        self.logged_out_at: int | None = None


class ShiftWriter:
    def __init__(self, write: Callable, fmt: Callable[[int], str], rng) -> None:
        self.write, self.fmt, self.rng = write, fmt, rng
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
                self._emit(agent, "logged_out", a.logged_out_at, None)

    def _emit(self, agent: int, state: str, start: int | None, end: int | None) -> None:
        if start is None or (end is not None and end <= start):
            return
        self.write((agent, state, self.fmt(start), None if end is None else self.fmt(end)))
        self.count += 1

    def _next(self, agent: int, start: int, end: int) -> None:
        a = self.agents[agent]
        if a.start is not None and start <= a.busy:  # a second chat at once: one busy stretch
            a.busy = max(a.busy, end)
            return
        if a.start is not None and start - a.busy > SHIFT_GAP:
            self._after(agent, a, start, final=True)
        if a.start is None:
            opened = max(start - LEAD_IN, a.logged_out_at or 0)
            self._emit(agent, "logged_out", a.logged_out_at, opened)
            self._emit(agent, "logged_in", opened, opened + 60)
            self._emit(agent, "available", opened + 60, start)
            a.last_break = start
        else:
            self._after(agent, a, start, final=False)
        a.start, a.busy = start, end

    def _after(self, agent: int, a: "_Agent", until: int, final: bool) -> None:
        """The current stretch's handling and after-contact work, then what fills to `until`."""
        assert a.start is not None
        self._emit(agent, "handling", a.start, a.busy)
        wrap = min(a.busy + 20 + int(self.rng.expovariate(1 / 40)), until)
        self._emit(agent, "after_contact_work", a.busy, wrap)
        if final:
            a.logged_out_at = min(wrap + WIND_DOWN, until)
            self._emit(agent, "available", wrap, a.logged_out_at)
            a.start = None
            return
        if until - wrap >= BREAK + 5 * 60 and until - a.last_break >= BREAK_EVERY:
            self._emit(agent, "available", wrap, wrap + 120)
            self._emit(agent, "break", wrap + 120, wrap + 120 + BREAK)
            self._emit(agent, "available", wrap + 120 + BREAK, until)
            a.last_break = until
        else:
            self._emit(agent, "available", wrap, until)
