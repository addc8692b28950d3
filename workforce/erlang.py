"""Erlang C: how many agents a queue needs to answer a share of contacts within a target.

For `traffic` erlangs (contacts per interval x AHT / interval) offered to `agents` agents:
the probability a contact waits, the mean wait, the share answered within `target` seconds, and
the fewest agents reaching a service level. The sum is built term by term (A^k / k! from the
previous term), so large queues neither overflow nor lose precision.
"""

import math


def wait_probability(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a contact has to wait (1 when the queue never empties)."""
    if agents <= traffic:
        return 1.0
    term, total = 1.0, 1.0  # A^0 / 0!
    for k in range(1, agents):
        term *= traffic / k
        total += term
    last = term * traffic / agents * agents / (agents - traffic)  # A^N / N! x N / (N - A)
    return last / (total + last)


def mean_wait(traffic: float, agents: int, aht: float) -> float:
    """Average speed of answer, in AHT's unit."""
    if agents <= traffic:
        return math.inf
    return wait_probability(traffic, agents) * aht / (agents - traffic)


def service_level(traffic: float, agents: int, aht: float, target: float) -> float:
    """Share of contacts answered within `target` (same unit as `aht`)."""
    if agents <= traffic:
        return 0.0
    waits = wait_probability(traffic, agents)
    return 1 - waits * math.exp(-(agents - traffic) * target / aht)


def agents_needed(traffic: float, aht: float, target: float, level: float) -> int:
    """The fewest agents answering `level` (0-1) of contacts within `target`."""
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while service_level(traffic, agents, aht, target) < level:
        agents += 1
    return agents


def agents_needed_unrounded(traffic: float, aht: float, target: float, level: float) -> float:
    """The need before rounding up: between `agents_needed` - 1 and `agents_needed`, where the
    service level, read on a straight line between those two whole numbers, reaches `level`.
    Shrinkage is added to this figure and rounded up once: 54.13 agents with 30 % shrinkage are
    77.3, 78 to schedule, where rounding 55 up again would give 79."""
    whole = agents_needed(traffic, aht, target, level)
    if whole == 0:
        return 0.0
    below = service_level(traffic, whole - 1, aht, target)  # 0 when the queue cannot empty
    above = service_level(traffic, whole, aht, target)
    return whole - 1 + max(0.0, level - below) / (above - below)
