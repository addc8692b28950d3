"""Input no view could store, refused before any view: a NUL character in a URL, a query string,
a cookie or a form field.

PostgreSQL refuses NUL in a text parameter, with an error that surfaced as a 500 (survey
comments, low-score reasons, follow-up notes, customer ids in API paths, the admin's search).
No person types one: the request is refused whole, with a 400 (JSON under /api/, a page in the
site's layout elsewhere). JSON bodies are checked by the API's own fields.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from web.errors import error_page

NUL = "\x00"


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
        return error_page(
            request, 400, _("The request holds a NUL character, which is never valid here.")
        )
