"""Login and password reset, with their abuse limits: a client that used one up gets a page in
the site's layout saying how long to wait (429, Retry-After)."""

from django.contrib.auth import views as auth
from django.http import HttpRequest, HttpResponse

from web.errors import error_page

from .limits import (
    PASSWORD_RESET_PER_ACCOUNT,
    PASSWORD_RESET_PER_ADDRESS,
    account,
    count,
    wait_message,
    wait_seconds,
)
from .logins import login_wait

TOO_MANY_REQUESTS = 429


def _waiting(response: HttpResponse, seconds: int) -> HttpResponse:
    response["Retry-After"] = str(seconds)
    return response


class LimitedLoginView(auth.LoginView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = login_wait(request, request.POST.get("username", ""))
        if seconds is None:
            return super().post(request, *args, **kwargs)
        context = self.get_context_data(
            form=self.get_form_class()(request), limited=wait_message(seconds)
        )
        return _waiting(self.render_to_response(context, status=TOO_MANY_REQUESTS), seconds)


class LimitedPasswordResetView(auth.PasswordResetView):
    """Each request sends an email: counted whether the address is known or not."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        counted = (
            (PASSWORD_RESET_PER_ADDRESS, None),
            (PASSWORD_RESET_PER_ACCOUNT, account(request.POST.get("email", ""))),
        )
        seconds = wait_seconds(request, *counted)
        if seconds is not None:
            page = error_page(request, TOO_MANY_REQUESTS, wait_message(seconds))
            return _waiting(page, seconds)
        count(request, *counted)
        return super().post(request, *args, **kwargs)
