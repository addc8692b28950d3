"""What every request goes through before any view: input no view could store, refused; and
API errors as JSON, whoever produced them.

A NUL character in a URL, a query string, a cookie or a form field reaches PostgreSQL as a text
parameter, which it refuses with an error that surfaced as a 500 (survey comments, low-score
reasons, follow-up notes, customer ids in API paths, the admin's search). No person types one:
the request is refused whole, with a 400. JSON bodies are checked by the API's own fields.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
NUL = "\x00"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _holds_nul(request: HttpRequest) -> bool:
    if NUL in request.path_info or _in_query(request.GET):
        return True
    if any(NUL in k or NUL in v for k, v in request.COOKIES.items()):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return _in_query(request.POST)
    return False


def _in_query(query: QueryDict) -> bool:
    return any(NUL in k or any(NUL in v for v in vs) for k, vs in query.lists())


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _holds_nul(request):
            return self.get_response(request)
        message = _("The request holds a NUL character, which is never valid here.")
        if is_api(request):
            return JsonResponse({"detail": message}, status=400)
        return render(request, "400.html", {"message": message}, status=400)


class ApiErrorsAsJsonMiddleware:
    """An error answered under /api/ by something other than DRF (an unknown URL, a body too
    large for Django, a crash) comes as `{"detail": ...}` like DRF's, not as an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            json = JsonResponse({"detail": response.reason_phrase}, status=response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    json[header] = response[header]
            return json
        return response
