"""The project's URLs and the benchmark's bare insert view (see webhook_wsgi.py)."""

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urls


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> JsonResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_webhook_row (body) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"accepted": True}, status=202)


urlpatterns = [*project_urls, path("bench/insert/", insert)]
