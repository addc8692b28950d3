"""Ticket history API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from . import api, personal_data_api

urlpatterns = [
    path("contacts/", api.ContactsApi.as_view(), name="api-contacts"),
    path("tickets/", api.TicketsApi.as_view(), name="api-tickets"),
    path(
        "customers/<str:external_id>/personal-data/",
        personal_data_api.CustomerPersonalDataApi.as_view(),
        name="api-customer-personal-data",
    ),
]
