"""Pages for agents, team leads and quality managers, under /surveys/ (login required)."""

from django.urls import path

from .views import followups, mailbox, staff

app_name = "surveys_staff"

urlpatterns = [
    path("agent/", staff.agent_page, name="agent"),
    path("agent/contacts/<int:contact_id>/score/", staff.agent_score, name="agent_score"),
    path("follow-ups/", followups.followups, name="followups"),
    path("follow-ups/<int:pk>/", followups.followup_work, name="followup_work"),
    path("follow-ups/<int:pk>/handled/", followups.followup_mark_handled, name="followup_handled"),
    path("demo-mailbox/", mailbox.mailbox, name="mailbox"),
]
