"""The agent's reading of a contact, for helpdesks that embed it: POST .../agent-score/."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, error_responses
from tickets.models import Agent, Contact
from tickets.permissions import IsAgentOrIntegration, is_integration
from tickets.serializers import (
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    StrictSerializer,
)
from tickets.tokens import TokenScope

from .models import RepeatCauseCode
from .services import AnswerError, NotYourContact, agent_rating_record


class AgentScoreInputSerializer(StrictSerializer):
    score = StrictIntegerField(
        min_value=1, max_value=5, help_text="How satisfied the agent thinks the customer was."
    )
    cause = StrictChoiceField(
        choices=RepeatCauseCode.choices,
        required=False,
        allow_blank=True,
        help_text="On a repeat contact: why the customer came back, as the agent sees it.",
    )
    comment = StrictCharField(required=False, allow_blank=True, max_length=2000)


class AgentScoreOutputSerializer(serializers.Serializer):
    contact = serializers.CharField(source="contact.external_id")
    agent = serializers.CharField(source="agent.external_id")
    score = serializers.IntegerField()
    rated_at = serializers.DateTimeField()


class AgentScoreApi(APIView):
    """An agent scores a contact they handled; an integration scores on behalf of its agent."""

    permission_classes = [IsAgentOrIntegration]
    # Agents' scores are history too: import_history reads them from agent_ratings.csv.
    token_scope = TokenScope.HISTORY_WRITE

    @extend_schema(
        request=AgentScoreInputSerializer,
        responses={
            200: AgentScoreOutputSerializer,
            **error_responses(404, 415),
        },
        parameters=[RETRY_AFTER],
        summary="Record the agent's own reading of a contact",
        description="An agent scores a contact they handled (403 otherwise); an integration (an "
        "API token with the history:write scope) scores on behalf of the contact's agent.",
    )
    def post(self, request: Request, external_id: str) -> Response:
        contact = get_object_or_404(
            Contact.objects.select_related("agent"), external_id=external_id
        )
        agent = self._agent(request, contact)
        data = AgentScoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rating = agent_rating_record(agent=agent, contact=contact, **data.validated_data)
        except NotYourContact:
            raise exceptions.PermissionDenied(
                _("You can only score the contacts you handled.")
            ) from None
        except AnswerError as exc:
            raise exceptions.ValidationError({"detail": exc.args[0]}) from None
        return Response(AgentScoreOutputSerializer(rating).data, status=status.HTTP_200_OK)

    @staticmethod
    def _agent(request: Request, contact: Contact) -> Agent:
        if is_integration(request):
            if contact.agent is None:
                raise exceptions.ValidationError(
                    {"detail": _("This contact has no agent to score it.")}
                )
            return contact.agent
        return Agent.objects.get(user=request.user)
