from django.urls import include, path

from . import dashboard, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
]
