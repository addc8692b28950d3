"""The demo mailbox page: the surveys and alerts `make demo` sent, one click from each survey."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.request import Request

from tickets.permissions import is_quality_manager

from ..mailbox import mailbox_enabled, mailbox_read


@login_required
@require_GET
def mailbox(request: HttpRequest) -> HttpResponse:
    if not mailbox_enabled():
        raise Http404
    if not is_quality_manager(cast(Request, request)):
        raise PermissionDenied(_("This page is for quality managers."))
    return render(request, "surveys/staff/mailbox.html", {"mails": mailbox_read()})
