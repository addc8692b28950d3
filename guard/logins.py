"""Failed logins, counted per client address and per account. Once either limit is used up, no
password is even tried, the right one included, until its window ends: guessing a password by
the hundred no longer works, from one address or from many."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from .limits import LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, Counted, account, count, wait_seconds


def _counted(username: str) -> tuple[Counted, Counted]:
    return (LOGIN_PER_ADDRESS, None), (LOGIN_PER_ACCOUNT, account(username))


def login_wait(request: HttpRequest, username: str) -> int | None:
    """Seconds before this client may try to log in to this account again, or None."""
    return wait_seconds(request, *_counted(username))


@receiver(user_login_failed, dispatch_uid="guard.login_failure_count")
def login_failure_count(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    if request is not None:  # a login from code (a test, a shell) has no client to count
        username = credentials.get(get_user_model().USERNAME_FIELD) or ""
        count(request, *_counted(str(username)))


class LimitedModelBackend(ModelBackend):
    """Django's backend, closed to a client that failed too often: every login form (the site's,
    the admin's) goes through it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username or kwargs.get(get_user_model().USERNAME_FIELD) or ""
        if request is not None and login_wait(request, str(name)):
            raise PermissionDenied  # stops here: authenticate() tries no other backend
        return super().authenticate(request, username=username, password=password, **kwargs)
