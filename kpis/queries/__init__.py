"""KPI queries, one module per subject. Each KPI takes a Scope and returns a Table.

`KPIS` names every KPI the report, the command and the API can serve.
"""

from collections.abc import Callable

from ..scope import Scope
from .backlog import backlog
from .base import Table
from .drivers import (
    declared_resolution,
    satisfaction_by_answer_target,
    satisfaction_by_exchanges,
    satisfaction_by_repeat,
)
from .flow import incoming
from .perception import perception_gap
from .repeat import repeat, repeat_causes
from .resolution import exchanges, fcr
from .response_rate import response_rate
from .satisfaction import satisfaction
from .workload import aht, phone_answer, speed_of_answer

KPIS: dict[str, Callable[[Scope], Table]] = {
    "satisfaction": satisfaction,
    "fcr": fcr,
    "exchanges": exchanges,
    "repeat": repeat,
    "repeat_causes": repeat_causes,
    "aht": aht,
    "phone_answer": phone_answer,
    "speed_of_answer": speed_of_answer,
    "backlog": backlog,
    "perception_gap": perception_gap,
    "incoming": incoming,
    "declared_resolution": declared_resolution,
    "satisfaction_by_exchanges": satisfaction_by_exchanges,
    "satisfaction_by_repeat": satisfaction_by_repeat,
    "satisfaction_by_answer_target": satisfaction_by_answer_target,
    "response_rate": response_rate,
}

__all__ = ["KPIS", "Scope", "Table"]
