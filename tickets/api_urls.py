"""Ticket history API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("contacts/", api.ContactsApi.as_view(), name="api-contacts"),
    path("tickets/", api.TicketsApi.as_view(), name="api-tickets"),
]
