"""What the OpenAPI schema says about answers every API operation may give besides its own:
refusals (400 for input no view takes, 401, 403, 404, 415, 429 with Retry-After), each a JSON
body. Views add `error_responses(...)` to their `extend_schema` responses, so that the schema
describes every answer the API gives (schemathesis checks it: tests/test_api_schemathesis.py).
"""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class DetailOutputSerializer(serializers.Serializer):
    """One message about the request as a whole."""

    detail = serializers.CharField()


# A validation error by field (DRF's shape): {"field": ["message", ...], ...}, or one message.
FIELD_ERRORS: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages by field; `non_field_errors` for the request as a whole.",
        },
        {"$ref": "#/components/schemas/DetailOutput"},
    ]
}

_DESCRIPTIONS = {
    400: "The request is not valid: see the messages.",
    401: "No credentials, or credentials that do not work.",
    403: "Who is calling may not do this (a token without the scope, a person without the role).",
    404: "Nothing found at this address.",
    409: "The resource cannot do this in its present state.",
    415: "The body is not JSON.",
    429: "Too many requests, or too many failed authentications: wait Retry-After seconds.",
}


def error_responses(*statuses: int, bad_request: Any = None) -> dict[int, OpenApiResponse]:
    """Responses for these statuses (and always 401, 403 and 429), each a JSON error body;
    400 has `bad_request` as its body when given (FIELD_ERRORS by default)."""
    out = {}
    for status in sorted({*statuses, 400, 401, 403, 429}):
        body: Any = DetailOutputSerializer
        if status == 400:
            body = bad_request if bad_request is not None else FIELD_ERRORS
        out[status] = OpenApiResponse(response=body, description=_DESCRIPTIONS[status])
    return out


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before trying again.",
)


class StrictSerializerSchema(OpenApiSerializerExtension):
    """An input serializer that refuses unknown fields says so: `additionalProperties: false`."""

    target_class = "tickets.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        # An empty text is refused unless the field allows it: say so (DRF's own mapping
        # leaves it out, and a client then sends "" for an id).
        for name, field in self.target.fields.items():
            if isinstance(field, serializers.CharField) and not field.allow_blank:
                schema["properties"][name].setdefault("minLength", 1)
        return schema


# OpenAPI links: what a client (and schemathesis' stateful tests) can do next with an answer.
# (operation, status) -> {link name: (target operation, {parameter: runtime expression})}
LINKS = {
    ("v1_contacts_create", "201"): {
        "ScoreTheContact": (
            "v1_contacts_agent_score_create",
            {"external_id": "$response.body#/created_ids/0"},
        ),
        "ExportTheCustomer": (
            "v1_customers_personal_data_retrieve",
            {"external_id": "$request.body#/customer_id"},
        ),
        "EraseTheCustomer": (
            "v1_customers_personal_data_destroy",
            {"external_id": "$request.body#/customer_id"},
        ),
    },
    ("v1_tickets_create", "201"): {
        "FetchTheSurveyLink": (
            "ticket_invitation_link",
            {"ticket": "$response.body#/created_ids/0"},
        ),
    },
}


def links_add(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: writes LINKS into the responses."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for status, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), status))
                if links:
                    response["links"] = {
                        name: {"operationId": target, "parameters": parameters}
                        for name, (target, parameters) in links.items()
                    }
    return result
