"""Link delivery for helpdesks: fetch a survey URL to post in the helpdesk's own chat.

`GET /api/v1/invitations/<id>/link/` or `GET /api/v1/invitations/link/?ticket=<external id>`
(the newest open "link" invitation of that ticket). Each call issues a new token; the first
marks the invitation sent.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, error_responses
from surveys.models import Delivery, Invitation, InvitationStatus
from tickets.models import Customer
from tickets.permissions import IsIntegrationOrStaff
from tickets.tokens import TokenScope

from .links import CustomerOptedOut, LinkUnavailable, invitation_link_issue


class LinkOutputSerializer(serializers.Serializer):
    invitation = serializers.IntegerField()
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


class LinkGone(exceptions.APIException):
    status_code = 409
    default_code = "link_unavailable"


class LinkRefused(LinkGone):
    default_code = "customer_opted_out"
    default_detail = gettext_lazy(
        "This customer has opted out of surveys: no survey link may be sent to them."
    )


def _link_response(invitation: Invitation) -> Response:
    try:
        url = invitation_link_issue(invitation)
    except CustomerOptedOut as exc:
        raise LinkRefused() from exc
    except LinkUnavailable as exc:
        raise LinkGone(_("No survey link for this invitation: %(why)s.") % {"why": exc}) from exc
    invitation.refresh_from_db(fields=["expires_at"])
    data = {"invitation": invitation.pk, "url": url, "expires_at": invitation.expires_at}
    return Response(LinkOutputSerializer(data).data)


class InvitationLinkApi(APIView):
    permission_classes = [IsIntegrationOrStaff]
    token_scope = TokenScope.SURVEY_LINKS

    @extend_schema(
        operation_id="invitation_link",
        responses={200: LinkOutputSerializer, **error_responses(404, 409)},
        parameters=[RETRY_AFTER],
        summary="Fetch an invitation's survey link",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _link_response(get_object_or_404(Invitation, pk=pk, delivery=Delivery.LINK))


class TicketInvitationLinkApi(APIView):
    permission_classes = [IsIntegrationOrStaff]
    token_scope = TokenScope.SURVEY_LINKS

    @extend_schema(
        operation_id="ticket_invitation_link",
        parameters=[
            OpenApiParameter(
                "ticket",
                {"type": "string", "minLength": 1},
                required=True,
                description="The ticket's external id.",
            ),
            RETRY_AFTER,
        ],
        responses={200: LinkOutputSerializer, **error_responses(404, 409)},
        summary="Fetch the survey link of a ticket's open link invitation",
    )
    def get(self, request: Request) -> Response:
        ticket = request.query_params.get("ticket", "")
        if not ticket:
            raise exceptions.ValidationError({"ticket": [_("Give the ticket's external id.")]})
        links = Invitation.objects.filter(ticket__external_id=ticket, delivery=Delivery.LINK)
        invitation = (
            links.filter(status__in=[InvitationStatus.PENDING, InvitationStatus.SENT])
            .order_by("-created_at", "-pk")
            .first()
        )
        stopped = Customer.objects.filter(pk__in=links.values("customer_id")).may_not_contact()
        if invitation is None and stopped.exists():
            raise LinkRefused()  # Its invitation was cancelled by the opt-out: say why.
        if invitation is None:
            raise exceptions.NotFound(_("This ticket has no open survey link."))
        return _link_response(invitation)
