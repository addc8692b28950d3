from django.urls import include, path

from . import views
from .dashboard import views as dashboard
from .dashboard.staffing import staffing
from .drilldown import views as drilldown

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/staffing/", staffing, name="staffing"),
    path("dashboard/contacts/", drilldown.contacts, name="drilldown_contacts"),
    path("dashboard/tickets/", drilldown.tickets, name="drilldown_tickets"),
    path("dashboard/answers/", drilldown.answers, name="drilldown_answers"),
    path("dashboard/comments/", drilldown.comments, name="comments"),
    path("accounts/", include("django.contrib.auth.urls")),
]
