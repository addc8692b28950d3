"""The secrets in public survey links.

A raw token is 192 random bits from `secrets`, URL-safe, and exists only in the message that
carries it; the database keeps its SHA-256 digest (InvitationToken). The input is random, so a
fast hash is enough and a lookup stays one indexed query. A token opens one invitation for one
purpose: an answer link cannot unsubscribe, an unsubscribe link cannot answer.

Answer tokens expire with their invitation. Unsubscribe tokens live longer (at least
UNSUBSCRIBE_DAYS): a customer who wants no more surveys must not meet a dead link.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import Invitation, InvitationStatus, InvitationToken, TokenPurpose

TOKEN_BYTES = 24
UNSUBSCRIBE_DAYS = 60
# Used only when an invitation has no expiry yet (a link fetched before it was sent).
DEFAULT_VALID_DAYS = 7

# States in which an answer link still works.
ANSWERABLE = {
    InvitationStatus.PENDING,
    InvitationStatus.SENDING,
    InvitationStatus.SENT,
    InvitationStatus.ANSWERED,
}


class TokenError(Exception):
    """A link that opens nothing."""


class TokenInvalid(TokenError):
    """Unknown token, or a token made for another purpose (shown as 404)."""


class TokenExpired(TokenError):
    """A real token whose invitation is over: expired, cancelled, failed (shown as 410)."""

    def __init__(self, invitation: Invitation) -> None:
        super().__init__(f"invitation {invitation.pk} is closed")
        self.invitation = invitation


class TokenWithdrawn(TokenError):
    """A real token whose customer opted out (or was erased): nothing is recorded (410)."""

    def __init__(self, invitation: Invitation) -> None:
        super().__init__(f"the customer of invitation {invitation.pk} opted out")
        self.invitation = invitation


def answerable(invitation: Invitation, now) -> None:
    """Raise unless the invitation can take an answer now (its customer loaded)."""
    if not invitation.customer.may_contact:
        raise TokenWithdrawn(invitation)
    if invitation.status not in ANSWERABLE:
        raise TokenExpired(invitation)
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise TokenExpired(invitation)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _expiry(invitation: Invitation, purpose: str) -> timezone.datetime:
    now = timezone.now()
    expires_at = invitation.expires_at
    if expires_at is None:
        days = invitation.policy.expire_after_days if invitation.policy else DEFAULT_VALID_DAYS
        expires_at = max(invitation.send_after, now) + timedelta(days=days)
    if purpose == TokenPurpose.UNSUBSCRIBE:
        expires_at = max(expires_at, now + timedelta(days=UNSUBSCRIBE_DAYS))
    return expires_at


def token_issue(invitation: Invitation, purpose: str) -> str:
    """Make a new link secret for this invitation and purpose; returns the raw token."""
    if purpose not in TokenPurpose.values:
        raise ValueError(f"unknown token purpose {purpose!r}")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    InvitationToken.objects.create(
        invitation=invitation,
        purpose=purpose,
        digest=token_digest(raw),
        expires_at=_expiry(invitation, purpose),
    )
    return raw


def token_resolve(raw: str, purpose: str, *, also: str | None = None) -> Invitation:
    """The invitation a raw token opens for this purpose (or `also`), or TokenInvalid /
    TokenExpired."""
    # A real token is 32 characters; refuse silly input before touching the database.
    if not raw or len(raw) > 128:
        raise TokenInvalid(raw)
    # What every page reads, in one query; each column joined costs CPU to compile and load,
    # so not the contact (only the repeat-contact question names its reason).
    related = ["invitation__questionnaire", "invitation__customer"]
    if purpose == TokenPurpose.ANSWER:
        # The answer already given, if any: the pages show it.
        related.append("invitation__response")
    token = (
        InvitationToken.objects.select_related(*related)
        .filter(digest=token_digest(raw), purpose__in=[purpose, also or purpose])
        .first()
    )
    if token is None:
        raise TokenInvalid(raw)
    invitation = token.invitation
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenExpired(invitation)
    if purpose == TokenPurpose.ANSWER:
        answerable(invitation, now)
    return invitation
