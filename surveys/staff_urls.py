"""Pages for agents and quality managers, under /surveys/ (login required)."""

from django.urls import path

from .views import staff

app_name = "surveys_staff"

urlpatterns = [
    path("agent/", staff.agent_page, name="agent"),
    path("agent/contacts/<int:contact_id>/score/", staff.agent_score, name="agent_score"),
    path("follow-ups/", staff.followups, name="followups"),
    path("follow-ups/<int:pk>/handled/", staff.followup_mark_handled, name="followup_handled"),
]
