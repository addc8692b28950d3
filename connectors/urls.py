"""Webhooks from helpdesks, mounted at /hooks/ (config/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:slug>/", views.webhook, name="connector-webhook"),
]
