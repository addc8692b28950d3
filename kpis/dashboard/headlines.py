"""Headline figures: value, n, 95 % interval and change from the previous period of equal length.

A change is "better" or "worse" by the figure's good direction (a falling repeat rate is
better), and significant only when its test says so at 95 % and both periods have at least
KPI_MIN_SAMPLE in their denominator: with fewer, a p-value means little.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from ..queries.base import low_sample
from ..queries.repeat import AGGREGATES as REPEAT_AGGREGATES
from ..queries.repeat import repeat_counts
from ..queries.resolution import FCR_AGGREGATES, fcr_counts
from ..queries.satisfaction import AGGREGATES as SATISFACTION_AGGREGATES
from ..queries.satisfaction import satisfaction_counts
from ..queries.workload import PHONE_AGGREGATES, phone_counts
from ..stats import (
    Change,
    mean_change,
    mean_interval,
    nps_change,
    nps_interval,
    proportion_change,
    wilson_interval,
)

Counts = dict[str, int]


@dataclass(frozen=True)
class Spec:
    key: str
    label: Any
    counts: Callable[..., list[tuple[tuple[Any, ...], Counts]]]
    aggregates: dict[str, Any]
    value: Callable[[Counts], float | None]
    n: str
    interval: Callable[[Counts], tuple[float, float] | None]
    change: Callable[[Counts, Counts], Change]
    unit: str = "%"
    higher_is_better: bool = True
    drill: dict[str, str] | None = None  # the list behind it: {"list": ..., subset params}


def _share(
    key: str, label: Any, counts: Callable, aggregates: dict, part: str, whole: str, **extra: Any
) -> Spec:
    """A share of a count: its interval is Wilson's, its change a two-proportion z-test."""
    return Spec(
        key, label, counts, aggregates,
        lambda c: 100 * c[part] / c[whole] if c[whole] else None,
        whole,
        lambda c: wilson_interval(c[part], c[whole]),
        lambda a, b: proportion_change(a[part], a[whole], b[part], b[whole]),
        **extra,
    )  # fmt: skip


SPECS = [
    Spec(
        "nps", gettext_lazy("NPS"), satisfaction_counts, SATISFACTION_AGGREGATES,
        lambda c: 100 * (c["promoters"] - c["detractors"]) / c["nps_n"] if c["nps_n"] else None,
        "nps_n", lambda c: nps_interval(c["promoters"], c["detractors"], c["nps_n"]),
        lambda a, b: nps_change(
            a["promoters"], a["detractors"], a["nps_n"], b["promoters"], b["detractors"], b["nps_n"]
        ),
        unit="", drill={"list": "answers", "kind": "nps"},
    ),
    _share(
        "csat", gettext_lazy("CSAT"), satisfaction_counts, SATISFACTION_AGGREGATES,
        "csat_good", "csat_n", drill={"list": "answers", "kind": "csat"},
    ),
    Spec(
        "ces", gettext_lazy("CES (1-7)"), satisfaction_counts, SATISFACTION_AGGREGATES,
        lambda c: c["ces_sum"] / c["ces_n"] if c["ces_n"] else None, "ces_n",
        lambda c: mean_interval(c["ces_sum"], c["ces_squares"], c["ces_n"]),
        lambda a, b: mean_change(
            a["ces_sum"], a["ces_squares"], a["ces_n"], b["ces_sum"], b["ces_squares"], b["ces_n"]
        ),
        unit="", drill={"list": "answers", "kind": "ces"},
    ),
    _share(
        "fcr", gettext_lazy("First contact resolution"), fcr_counts, FCR_AGGREGATES,
        "fcr", "solved_with_inbound", drill={"list": "tickets", "inbound": "1"},
    ),
    _share(
        "repeat", gettext_lazy("Repeat-contact rate"), repeat_counts, REPEAT_AGGREGATES,
        "followed_7d", "inbound_contacts", higher_is_better=False,
        drill={"list": "contacts", "inbound": "1"},
    ),
    _share(
        "answer", gettext_lazy("Phone answer rate"), phone_counts, PHONE_AGGREGATES,
        "answered", "offered", drill={"list": "contacts", "inbound": "1", "channel": "phone"},
    ),
]  # fmt: skip


@dataclass(frozen=True)
class Headline:
    spec: Spec
    value: float | None
    n: int
    interval: tuple[float, float] | None
    change: Change
    previous_n: int
    link: str = ""

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def label(self) -> str:
        return str(self.spec.label)

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def low_sample(self) -> bool:
        return low_sample(self.n)

    @property
    def testable(self) -> bool:
        """Both periods large enough for a test of their difference to mean something."""
        minimum = settings.KPI_MIN_SAMPLE
        return self.n >= minimum and self.previous_n >= minimum

    @property
    def significant(self) -> bool:
        return self.testable and self.change.significant

    @property
    def direction(self) -> str:
        """ "better", "worse" or "same", by the figure's good direction."""
        difference = self.change.difference
        if difference is None or difference == 0:
            return "same"
        better = (difference > 0) == self.spec.higher_is_better
        return "better" if better else "worse"


def headline(spec: Spec, now: Counts, before: Counts, link: str = "") -> Headline:
    return Headline(
        spec=spec,
        value=spec.value(now),
        n=now[spec.n],
        interval=spec.interval(now),
        change=spec.change(before, now),
        previous_n=before[spec.n],
        link=link,
    )
