"""HTML pages of the kpis app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tickets.permissions import is_quality_manager

from .overview import history_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "overview": history_overview(),
        "can_see_dashboard": is_quality_manager(request),  # type: ignore[arg-type]
    }
    return render(request, "kpis/home.html", context)
