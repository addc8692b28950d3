"""KPI API, mounted at /api/v1/kpis/ (config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("<slug:name>/", api.KpiApi.as_view(), name="api-kpi"),
]
