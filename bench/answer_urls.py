"""The project's URLs and the answer benchmark's bare view (see answer_wsgi.py)."""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urls
from surveys.tokens import token_digest


@csrf_exempt
@require_POST
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The least an answer costs: the token's digest looked up (one indexed SELECT), the
    invitation marked answered (one UPDATE), a few bytes back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT invitation_id FROM surveys_invitationtoken"
            " WHERE digest = %s AND purpose = 'answer'",
            [token_digest(token)],
        )
        row = cursor.fetchone()
        if row is None:
            return HttpResponse(status=404)
        cursor.execute(
            "UPDATE surveys_invitation SET status = 'answered', answered_at = now() WHERE id = %s",
            [row[0]],
        )
    return HttpResponse("ok")


urlpatterns = [*project_urls, path("bench/answer/<str:token>/", answer)]
