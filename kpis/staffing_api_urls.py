"""Staffing API, mounted at /api/v1/staffing/ (config/urls.py)."""

from django.urls import path

from .staffing_api import StaffingApi

urlpatterns = [path("", StaffingApi.as_view(), name="api-staffing")]
