"""Error answers: a page in the site's layout for people, JSON for the API.

Django calls these for 400, 403, 404 and 500 (`handler400`... in config/urls.py) and for a
refused CSRF check (CSRF_FAILURE_VIEW). Under /api/ they answer JSON as DRF does
(`{"detail": ...}`), so that an unknown endpoint or a crash never hands a client HTML. Under /s/
(the customers' survey pages) the page has the survey layout, without the staff's navigation.
Other views answer 410 or 429 themselves with `error_page`.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"
SURVEY_PREFIX = "/s/"


def _titles() -> dict[int, tuple[str, str]]:
    """Title and explanation per status, translated in the request's language."""
    return {
        400: (
            _("Bad request"),
            _("This request could not be understood. Go back and try again."),
        ),
        403: (
            _("Access refused"),
            _("Your account does not give access to this page."),
        ),
        404: (
            _("Page not found"),
            _("The address may be mistyped, or the page no longer exists."),
        ),
        410: (
            _("No longer available"),
            _("This page existed but has been withdrawn."),
        ),
        429: (
            _("Too many attempts"),
            _("Please wait a moment before trying again."),
        ),
        500: (
            _("Something went wrong"),
            _(
                "The problem is on our side and has been recorded. Please try again in a few "
                "minutes."
            ),
        ),
    }


def error_page(
    request: HttpRequest, status: int, message: str = "", *, title: str = ""
) -> HttpResponse:
    """The answer for `status`: JSON under /api/, a page elsewhere. `message` says more."""
    default_title, default_message = _titles()[status]
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message or default_title}, status=status)
    context = {
        "status": status,
        "title": title or default_title,
        "message": message or default_message,
    }
    if request.path.startswith(SURVEY_PREFIX):
        template, kept = "surveys/public/error.html", {"languages": []}
    else:
        template, kept = "errors/page.html", {}
    # A 500 is drawn without the request's context: whatever failed (the database, a session)
    # must not fail the error page too.
    body = loader.render_to_string(
        template, {**context, **kept}, request=None if status == 500 else request
    )
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our views say why in the exception (translated); Django's own raise it bare.
    return error_page(request, 403, str(exception))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Exception texts of a 404 are for developers ("No Invitation matches the given query").
    return error_page(request, 404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        _(
            "This form has expired or was not sent from this site. Go back, reload the page "
            "and send the form again. If this keeps happening, allow this site's cookies."
        ),
        title=_("This form could not be accepted"),
    )
