"""The login and password reset pages with their abuse limits, in place of Django's own."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LimitedLoginView.as_view(), name="login"),
    path("password_reset/", views.LimitedPasswordResetView.as_view(), name="password_reset"),
]
