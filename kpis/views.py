"""HTML pages of the kpis app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .overview import history_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Whether to link the manager's pages: `can_see_overview` (kpis.context_processors).
    return render(request, "kpis/home.html", {"overview": history_overview()})
