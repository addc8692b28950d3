"""REST API for agents' states: the helpdesk or telephony sends each state change.

One state or a list of up to 1,000, checked whole before anything is written (the rule for
overlaps and open states is workforce.services'): a state that would overlap is a 400 naming
its index and field, and nothing of the batch is written.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from guard.api_schema import RETRY_AFTER, error_responses
from tickets.api import BatchInvalid, _error, _HistoryUpsertApi, _one_or_many, batch_validate
from tickets.serializers import MAX_BATCH, ErrorsOutputSerializer

from .serializers import StateInputSerializer, StatesWrittenOutputSerializer, state_record
from .services import states_check, states_write

STATE_EXAMPLE = {
    "agent_id": "A-7",
    "state": "handling",
    "started_at": "2024-03-01T09:00:25Z",
    "ended_at": None,
}


class AgentStatesApi(_HistoryUpsertApi):
    @extend_schema(
        request=_one_or_many(StateInputSerializer, "AgentStateBatch"),
        responses={
            201: StatesWrittenOutputSerializer,
            200: StatesWrittenOutputSerializer,
            **error_responses(415, bad_request=ErrorsOutputSerializer),
        },
        parameters=[RETRY_AFTER],
        description=(
            f"Record agents' states, one or a list of up to {MAX_BATCH:,}. A state without "
            "ended_at is still running: the agent's next state ends it at its own start. The "
            "same agent and started_at sent again updates the state. A state overlapping "
            "another of the same agent is refused (400 naming the item and field), and then "
            "nothing is written. Unknown agents are created. 201 when something was created, "
            "200 otherwise. Integrations (an API token with the history:write scope) and staff "
            "only."
        ),
        examples=[
            OpenApiExample("One", value=STATE_EXAMPLE, request_only=True),
            OpenApiExample("A list", value=[STATE_EXAMPLE], request_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        records = [state_record(i) for i in batch_validate(request.data, StateInputSerializer)]
        problems = states_check(records)
        if problems:
            raise BatchInvalid([_error(index, name, message) for index, name, message in problems])
        written = states_write(records)
        data = StatesWrittenOutputSerializer(written).data
        created = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
        return Response(data, status=created)
