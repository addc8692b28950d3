"""KPI definitions, one module per subject. Each module declares its KPIs (kpis.definition) and
registers them (kpis.registry); `KPIS` is the registry: {name: Kpi}, each callable on a Scope
to give its Table.
"""

from ..registry import KPIS
from ..scope import Scope
from .base import Table

__all__ = ["KPIS", "Scope", "Table"]
