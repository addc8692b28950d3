"""REST API for the ticket history: integrations push contacts and tickets, one or up to 1,000.

A batch is checked whole before anything is written, so a bad item costs the caller one fix and
one resend, never a half-applied batch. The services then upsert by external id.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, error_responses
from guard.parsers import JSONParser

from .permissions import IsIntegrationOrStaff
from .serializers import (
    MAX_BATCH,
    ContactInputSerializer,
    ErrorsOutputSerializer,
    TicketInputSerializer,
    UpsertResultOutputSerializer,
    contact_record,
    customer_record,
    ticket_record,
)
from .services import UpsertResult, contacts_upsert, tickets_upsert
from .tokens import TokenScope

logger = logging.getLogger(__name__)


class BatchInvalid(exceptions.APIException):
    """400 with `{"errors": [{"index", "field", "message"}, ...]}`."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        # Set directly: APIException would turn the integer indexes into strings.
        self.detail = {"errors": errors}


def batch_validate(data: Any, serializer_class: type[serializers.Serializer]) -> list[dict]:
    """The body's items, checked; raises BatchInvalid naming every bad item and field."""
    if isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise BatchInvalid([_error(None, None, _("Send one object or a list of objects."))])
    if len(items) > MAX_BATCH:
        message = _("A request holds at most %(max)d items; this one has %(count)d.") % {
            "max": MAX_BATCH,
            "count": len(items),
        }
        raise BatchInvalid([_error(None, None, message)])
    serializer = serializer_class(data=items, many=True)
    if serializer.is_valid():
        return serializer.validated_data
    # DRF gives {index: errors} for the bad items only (a list of all items in older versions).
    by_index = serializer.errors
    pairs = by_index.items() if isinstance(by_index, dict) else enumerate(by_index)
    errors = [
        _error(index, None if field == api_settings.NON_FIELD_ERRORS_KEY else field, message)
        for index, item_errors in sorted(pairs)
        for field, messages in _by_field(item_errors)
        for message in messages
    ]
    raise BatchInvalid(errors)


def _by_field(item_errors: Any) -> Any:
    # An item that is no object at all (`[null]`) has a list of messages, not one per field.
    if isinstance(item_errors, dict):
        return item_errors.items()
    return [(api_settings.NON_FIELD_ERRORS_KEY, item_errors)]


def _error(index: int | None, field: str | None, message: str) -> dict[str, Any]:
    return {"index": index, "field": field, "message": str(message)}


class _Batch(serializers.Serializer):
    """For the schema only: a body that is one `item` or a list of up to MAX_BATCH of them."""

    item: type[serializers.Serializer]


class _BatchSchema(OpenApiSerializerExtension):
    # drf-spectacular's own one-or-list (PolymorphicProxySerializer) cannot say maxItems.
    target_class = _Batch
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        ref = auto_schema.resolve_serializer(self.target.item, direction).ref
        return {"oneOf": [ref, {"type": "array", "items": ref, "maxItems": MAX_BATCH}]}


def _one_or_many(serializer_class: type[serializers.Serializer], name: str) -> type[_Batch]:
    return type(name, (_Batch,), {"item": serializer_class, "__module__": __name__})


def _upsert_schema(
    serializer_class: type[serializers.Serializer], component: str, noun: str, example: dict
):
    return extend_schema(
        request=_one_or_many(serializer_class, component),
        responses={
            201: UpsertResultOutputSerializer,
            200: UpsertResultOutputSerializer,
            **error_responses(415, bad_request=ErrorsOutputSerializer),
        },
        parameters=[RETRY_AFTER],
        description=(
            f"Create or update {noun} by external id. The body is one object or a list of up to "
            f"{MAX_BATCH:,}. Sending the same thing twice changes nothing. Unknown customers, "
            "agents, teams and tickets are created. Times must carry a zone (Z or +hh:mm). "
            "Nothing is written when any item is invalid; each error names the item's index and "
            "the field. Times must lie within the history's window (HISTORY_MAX_AGE_DAYS back, "
            "HISTORY_MAX_FUTURE_SECONDS ahead of now), which the schema cannot express: a time "
            "out of it is a 400 naming the field. 201 when something was created, 200 "
            "otherwise. Integrations (an API token with the history:write scope) and staff "
            "only."
        ),
        examples=[
            OpenApiExample("One", value=example, request_only=True),
            OpenApiExample("A list", value=[example], request_only=True),
        ],
    )


class _HistoryUpsertApi(APIView):
    permission_classes = [IsIntegrationOrStaff]
    token_scope = TokenScope.HISTORY_WRITE
    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        # A body that is not JSON is one more input error: same shape as the others.
        if isinstance(exc, exceptions.ParseError):
            exc = BatchInvalid([_error(None, None, str(exc.detail))])
        elif isinstance(exc, RequestDataTooBig):
            message = _("The body is larger than %(size)d bytes: send fewer items at once.") % {
                "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            }
            exc = BatchInvalid([_error(None, None, message)])
        return super().handle_exception(exc)

    @staticmethod
    def upsert(service: Callable[..., UpsertResult], *args: Any, **kwargs: Any) -> UpsertResult:
        """Run the service, once more if a concurrent request inserted the same ids first.

        A client that times out and resends while its first request still runs makes two
        inserts of the same new rows; the loser's transaction rolled back whole, and on a second
        run those rows exist, so it updates or leaves them as any resend does.
        """
        try:
            return service(*args, **kwargs)
        except IntegrityError:
            logger.warning("History upsert collided with a concurrent one; running it again")
            return service(*args, **kwargs)

    @staticmethod
    def respond(result: UpsertResult) -> Response:
        data = UpsertResultOutputSerializer(result.as_dict()).data
        created = bool(result.created)
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


CONTACT_EXAMPLE = {
    "contact_id": "C-1001",
    "ticket_id": "T-501",
    "customer_id": "CU-42",
    "channel": "phone",
    "reason": "billing",
    "agent_id": "A-7",
    "team": "lyon_n1",
    "direction": "inbound",
    "started_at": "2024-03-01T09:00:00Z",
    "answered_at": "2024-03-01T09:00:25Z",
    "ended_at": "2024-03-01T09:06:10Z",
    "handle_seconds": 345,
    "do_not_survey": False,
    "customer_email": "jeanne@example.com",
    "customer_language": "fr",
}

TICKET_EXAMPLE = {
    "ticket_id": "T-501",
    "customer_id": "CU-42",
    "reason": "billing",
    "priority": "normal",
    "created_at": "2024-03-01T09:00:00Z",
    "solved_at": "2024-03-01T17:30:00+01:00",
}


class ContactsApi(_HistoryUpsertApi):
    @_upsert_schema(ContactInputSerializer, "ContactBatch", "contacts", CONTACT_EXAMPLE)
    def post(self, request: Request) -> Response:
        items = batch_validate(request.data, ContactInputSerializer)
        customers = [c for c in map(customer_record, items) if c is not None]
        contacts = [contact_record(i) for i in items]
        result = self.upsert(contacts_upsert, contacts, customer_details=customers)
        return self.respond(result)


class TicketsApi(_HistoryUpsertApi):
    @_upsert_schema(TicketInputSerializer, "TicketBatch", "tickets", TICKET_EXAMPLE)
    def post(self, request: Request) -> Response:
        items = batch_validate(request.data, TicketInputSerializer)
        result = self.upsert(tickets_upsert, [ticket_record(i) for i in items])
        return self.respond(result)
