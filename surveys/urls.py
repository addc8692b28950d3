"""The customer's pages, under /s/ (public: the token in the URL is the only key)."""

from django.urls import path

from .views import public

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", public.answer, name="answer"),
    path("<str:token>/more/", public.details, name="details"),
    path("<str:token>/thanks/", public.thanks, name="thanks"),
    path("<str:token>/unsubscribe/", public.unsubscribe, name="unsubscribe"),
]
