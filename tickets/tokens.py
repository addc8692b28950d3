"""API tokens for integrations (a helpdesk, a CRM, a script) and the DRF class that reads them.

Why our own small model rather than DRF's authtoken or django-rest-knox: authtoken keeps the raw
key in the database, so a leaked dump is a set of working credentials; knox stores digests but is
built around log-in sessions (one token per log-in, expiry, log-out views) and has neither a name
nor a last-used time. An integration token is the other shape: named, long-lived, owned by a user,
revoked by hand, and we want to see when it was last used. That is one table and one class.

A token carries scopes: what it may do, each endpoint asking for one. A new token has only the
scopes it was given (none by default): a token for a survey-link chat bot cannot read KPIs or
erase a customer.

A token is 256 random bits from `secrets`, shown once when it is created. Only its SHA-256 digest
is stored. A slow password hash would add nothing here: the input is random, not chosen by a
person, so it cannot be guessed from a dictionary, and looking a token up by its digest (unique
index) keeps authentication to one indexed query and free of timing leaks on the raw value.
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from guard import limits

# Recognisable by secret scanners and by people reading a config file.
TOKEN_PREFIX = "ecoute_"  # noqa: S105 (a public prefix, not a secret)
# Writing last_used_at on every request would turn each API read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenScope(models.TextChoices):
    HISTORY_WRITE = "history:write", _("Write ticket history (contacts, tickets, agents' scores)")
    KPI_READ = "kpis:read", _("Read KPIs and their exports")
    PERSONAL_DATA = "personal_data", _("Export and erase a customer's personal data")
    SURVEY_LINKS = "survey_links", _("Fetch survey links")


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses this token, e.g. “Zendesk sync”.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("The person responsible for this integration."),
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    # The first characters of the token, to tell tokens apart without revealing them.
    hint = models.CharField(_("starts with"), max_length=16, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        help_text=_("What the token may do; nothing else is allowed."),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def set_new_secret(self) -> str:
        """Give this token a fresh secret and return it: the only time it is ever visible."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.digest = token_digest(raw)
        self.hint = raw[: len(TOKEN_PREFIX) + 4]
        return raw


def api_token_create(
    *, name: str, user: models.Model, scopes: Iterable[str] = ()
) -> tuple[ApiToken, str]:
    """Create a token with these scopes (none by default); returns it with its raw value, which
    is not stored anywhere."""
    unknown = set(scopes) - set(TokenScope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    token = ApiToken(name=name, user=user, scopes=sorted(set(scopes)))
    raw = token.set_new_secret()
    token.save()
    return token, raw


def api_tokens_revoke(tokens: models.QuerySet) -> int:
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Bearer <token>`; request.user is the owner, request.auth the ApiToken.

    Failures are counted per client address and per token presented (guard.limits): once either
    limit is used up, tokens from there are not even looked up until the window ends (429).
    """

    keyword = "Bearer"
    model = ApiToken

    def authenticate(self, request):
        counted = _presented(request)
        if counted and (seconds := limits.wait_seconds(request, *counted)):
            raise exceptions.Throttled(seconds)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            limits.count(request, *counted)
            raise

    def authenticate_credentials(self, key: str) -> tuple[models.Model, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The owner of this token is inactive."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token


def _presented(request) -> list[limits.Counted]:
    """The counters a Bearer header is counted in; none without one (a session, no credentials)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header[:7].lower().startswith("bearer"):
        return []
    return [
        (limits.API_AUTH_PER_ADDRESS, None),
        (limits.API_AUTH_PER_TOKEN, token_digest(header[6:].strip())),
    ]
