"""Agents' states API, mounted at /api/v1/ (config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [path("agent-states/", api.AgentStatesApi.as_view(), name="api-agent-states")]
