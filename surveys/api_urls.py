from django.urls import path

from surveys import api

urlpatterns = [
    path(
        "contacts/<str:external_id>/agent-score/",
        api.AgentScoreApi.as_view(),
        name="api-contact-agent-score",
    ),
]
