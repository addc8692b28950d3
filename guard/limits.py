"""Abuse limits: failed logins, password reset requests, bad API tokens and unknown survey links,
counted per client address and per account (or token), by django-ratelimit in Django's cache
(Redis when REDIS_URL or a Redis broker is set; this process's memory otherwise).

Windows are fixed: a client that used up a limit waits for the end of its window, and the answer
says how long (Retry-After). Only what an attacker needs many of is counted: failures, unknown
links, reset requests. A customer opening a valid survey link, or an integration with a valid
token, is never counted.

Counting fails open: with the cache unreachable nobody is limited, rather than everybody refused
(a survey page must not fail because Redis does).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    group: str  # names the counter, with the window and the key's value
    setting: str  # the rate, as django-ratelimit reads it: "10/15m"

    @property
    def rate(self) -> str:
        return getattr(settings, self.setting)


LOGIN_PER_ADDRESS = Limit("login-address", "RATE_LIMIT_LOGIN_PER_ADDRESS")
LOGIN_PER_ACCOUNT = Limit("login-account", "RATE_LIMIT_LOGIN_PER_ACCOUNT")
PASSWORD_RESET_PER_ADDRESS = Limit("reset-address", "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS")
PASSWORD_RESET_PER_ACCOUNT = Limit("reset-account", "RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT")
API_AUTH_PER_ADDRESS = Limit("api-auth-address", "RATE_LIMIT_API_AUTH_PER_ADDRESS")
API_AUTH_PER_TOKEN = Limit("api-auth-token", "RATE_LIMIT_API_AUTH_PER_TOKEN")
SURVEY_LINKS_PER_ADDRESS = Limit("survey-link-address", "RATE_LIMIT_SURVEY_LINKS_PER_ADDRESS")

# (limit, the value counted: None for the client's address)
Counted = tuple[Limit, str | None]


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the last address of CLIENT_IP_HEADER (the one the
    proxy in front of the site added) when the site runs behind one."""
    header = settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        last = value.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104  (a key, not a bind)


def _usage(request: HttpRequest, limit: Limit, value: str | None, increment: bool) -> dict | None:
    key: str | Callable = "ip" if value is None else (lambda _group, _request: value)
    try:
        return get_usage(request, group=limit.group, key=key, rate=limit.rate, increment=increment)
    except (RedisError, OSError) as exc:
        logger.warning("abuse limit %s not counted: the cache is unreachable (%s)", limit, exc)
        return None


def wait_seconds(request: HttpRequest, *counted: Counted) -> int | None:
    """Seconds before this client may try again, when it has used up one of these limits;
    None when it may go on. Counts nothing."""
    waits = []
    for limit, value in counted:
        usage = _usage(request, limit, value, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            waits.append(max(usage["time_left"], 1))
    return max(waits) if waits else None


def count(request: HttpRequest, *counted: Counted) -> None:
    """One more for each of these limits (a failure, an unknown link, a request)."""
    for limit, value in counted:
        _usage(request, limit, value, increment=True)


def account(value: str) -> str:
    """An account as counted: case and surrounding spaces do not make another one."""
    return value.strip().casefold()


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))  # rounded up: never "wait 0 minutes"
    return ngettext(
        "Please wait %(minutes)d minute before trying again.",
        "Please wait %(minutes)d minutes before trying again.",
        minutes,
    ) % {"minutes": minutes}
