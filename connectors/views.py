"""The webhook every helpdesk posts to: `/hooks/<source>/`.

Verify, store, answer: no mapping happens here, so the answer is quick whatever the body says,
and a body that cannot be mapped yet is kept. 401 with nothing written when the signature or
its time is wrong; 202 when stored; 200 when it is a delivery already received.
"""

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Source
from .services import payload_accept
from .signatures import Refused, now_utc, verify


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, slug: str) -> JsonResponse:
    source = get_object_or_404(Source, slug=slug, is_active=True)
    body = request.body
    try:
        verify(source, request.headers, body, now_utc())
    except Refused as exc:
        return JsonResponse({"error": str(exc)}, status=401)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return JsonResponse({"error": _("The body is not UTF-8 text.")}, status=400)
    if payload_accept(source, request.headers, body):
        return JsonResponse({"accepted": True}, status=202)
    return JsonResponse({"accepted": True, "duplicate": True}, status=200)
