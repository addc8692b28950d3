from django.urls import path

from surveys import api
from surveys.delivery import api as delivery_api

urlpatterns = [
    path(
        "contacts/<str:external_id>/agent-score/",
        api.AgentScoreApi.as_view(),
        name="api-contact-agent-score",
    ),
    path(
        "invitations/<int:pk>/link/",
        delivery_api.InvitationLinkApi.as_view(),
        name="api-invitation-link",
    ),
    path(
        "invitations/link/",
        delivery_api.TicketInvitationLinkApi.as_view(),
        name="api-ticket-invitation-link",
    ),
]
