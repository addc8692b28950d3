"""Agents' state changes a helpdesk sent (its presence events), handed to the app that keeps them.

Connectors depend on tickets only. The states go through tickets' registry of history files, as
`agent_states.csv` rows (the file workforce registers), just as ratings go through the survey
import's loader. So a state from a webhook meets the same checks and the same rule for overlaps
and open states as one imported or posted to the REST API: a state with no end runs until the
agent's next one; one that would overlap another state of its agent is left out, and the body
says why (it fails when nothing else of it was recorded).
"""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from tickets.importing.registry import history_rows_load

STATES_FILE = "agent_states.csv"


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


def states_import(items: list[Any]) -> dict[int, str]:
    """Write the states of the bodies (`items`: the batch's mapped bodies, each with `payload`
    and `mapped`); a state refused is added to its body's problems. Returns {payload pk: why}
    for the bodies that held only states and had every one refused."""
    pairs = [(item, state) for item in items for state in item.mapped.states]
    if not pairs:
        return {}
    rows = [
        [state.agent_id, state.state, _utc(state.started_at), _utc(state.ended_at)]
        for _item, state in pairs
    ]
    refused: dict[int, int] = defaultdict(int)

    def reject(error) -> None:
        item = pairs[error.line - 1][0]
        item.mapped.problems.append(str(error))
        refused[item.payload.pk] += 1

    try:
        history_rows_load(STATES_FILE, rows, reject)
    except LookupError:
        for item, _state in pairs:
            item.mapped.problems.append(_("No installed app records agents' states."))
            refused[item.payload.pk] += 1
    failed = {}
    for item in {id(item): item for item, _state in pairs}.values():
        mapped = item.mapped
        only_states = not (mapped.tickets or mapped.contacts or mapped.replies or mapped.ratings)
        if only_states and refused[item.payload.pk] >= len(mapped.states):
            failed[item.payload.pk] = "; ".join(dict.fromkeys(mapped.problems))
    return failed
