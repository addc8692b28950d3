"""GET and DELETE /api/v1/customers/<id>/personal-data/: a helpdesk passes on its customers'
requests to see or erase their data (tickets.personal_data), as soon as it receives them."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, DetailOutputSerializer, error_responses

from .models import Customer
from .permissions import IsIntegrationOrStaff
from .personal_data import customer_erase, customer_export
from .tokens import TokenScope

_UNKNOWN = OpenApiResponse(DetailOutputSerializer, description="No customer has this id.")
_ERRORS = error_responses(bad_request=DetailOutputSerializer)


class ErasedOutputSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text="The customer's new, random id.")
    changed = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows changed, by kind of row."
    )


class CustomerPersonalDataApi(APIView):
    permission_classes = [IsIntegrationOrStaff]
    token_scope = TokenScope.PERSONAL_DATA

    @staticmethod
    def customer(external_id: str) -> Customer:
        found = Customer.objects.filter(external_id=external_id).first()
        if found is None:
            raise NotFound(_("No customer has the id “%(id)s”.") % {"id": external_id})
        return found

    @extend_schema(
        summary="Everything held about a customer",
        description="The customer, their tickets and contacts, and what surveys hold about "
        "them (answers with their comments, repeat causes, invitations, follow-ups).",
        responses={200: OpenApiTypes.OBJECT, **_ERRORS, 404: _UNKNOWN},
        parameters=[RETRY_AFTER],
    )
    def get(self, request: Request, external_id: str) -> Response:
        return Response(customer_export(self.customer(external_id)))

    @extend_schema(
        summary="Erase a customer's personal data",
        description="Email, phone, language, time zone and free texts are emptied, links sent "
        "to the customer stop working and they are opted out; the customer stays under a new "
        "random id, so that the KPIs keep their figures. Cannot be undone.",
        responses={200: ErasedOutputSerializer, **_ERRORS, 404: _UNKNOWN},
        parameters=[RETRY_AFTER],
    )
    def delete(self, request: Request, external_id: str) -> Response:
        customer = self.customer(external_id)
        changed = customer_erase(customer)
        return Response({"customer": customer.external_id, "changed": changed})
