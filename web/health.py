"""`/healthz` (the process answers) and `/readyz` (it can work: database and broker reachable).

Answered by a middleware placed first, before host validation, HTTPS redirection and sessions:
an orchestrator probes a container over plain HTTP at its own address (the pod's IP as Host),
and a liveness probe must not depend on the database.
"""

import json
import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


class HealthMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return _answer({"status": "ok"}, ok=True)
        if request.path_info == "/readyz":
            checks = {"database": _database(), "broker": _broker()}
            ok = all(state in ("ok", "not used") for state in checks.values())
            return _answer({"status": "ok" if ok else "unavailable", **checks}, ok=ok)
        return self.get_response(request)


def _answer(body: dict, *, ok: bool) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=200 if ok else 503
    )
    add_never_cache_headers(response)
    return response


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        # The probe is public: the reason goes to the log, not to the caller.
        logger.exception("readyz: the database is unreachable")
        return "unreachable"
    return "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not used"  # Tasks run in-process (the embedded default).
    from config.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("readyz: the broker is unreachable")
        return "unreachable"
    return "ok"
