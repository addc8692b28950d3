"""A state as every way in hands it over (CSV import, REST API), before it is written."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StateRecord:
    agent: str  # the agent's external id
    state: str
    started_at: datetime
    ended_at: datetime | None = None
