"""Link secrets for a whole batch, and "link" delivery: the helpdesk fetches the survey URL.

`tokens_issue_many` is `surveys.tokens.token_issue` for many invitations in one INSERT: a
batch of 200 emails needs 400 tokens, and one statement instead of 400 is most of the
difference between a few hundred and a thousand emails a second.
"""

import secrets
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from surveys.models import Delivery, Invitation, InvitationStatus, InvitationToken, TokenPurpose
from surveys.tokens import TOKEN_BYTES, _expiry, token_digest, token_issue

from .messages import Links

DEFAULT_EXPIRE_DAYS = 7


class LinkUnavailable(Exception):
    """No survey link can be given for this invitation (answered, expired, not a link...)."""


class CustomerOptedOut(LinkUnavailable):
    """The customer opted out (or was erased): no link may be given to them again."""


def tokens_issue_many(invitations: list[Invitation], purpose: str) -> dict[int, str]:
    """A new raw token per invitation for `purpose`, stored hashed; {invitation pk: raw}."""
    raws = {invitation.pk: secrets.token_urlsafe(TOKEN_BYTES) for invitation in invitations}
    now = timezone.now()
    rows = [
        (i.pk, purpose, token_digest(raws[i.pk]), now, _expiry(i, purpose)) for i in invitations
    ]
    if rows and connection.vendor == "postgresql":
        _tokens_insert_postgres(rows)
    else:
        InvitationToken.objects.bulk_create(
            InvitationToken(invitation_id=pk, purpose=kind, digest=digest, expires_at=ends)
            for pk, kind, digest, _created, ends in rows
        )
    return raws


def _tokens_insert_postgres(rows: list[tuple]) -> None:
    # One INSERT from arrays, without a model instance per token: bulk_create's preparation of
    # each object cost a worker more than a tenth of its CPU per email.
    table = InvitationToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (invitation_id, purpose, digest, created_at, expires_at)"
            " SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[],"
            " %s::timestamptz[], %s::timestamptz[])",
            [list(column) for column in zip(*rows, strict=True)],
        )


def links_issue_many(invitations: list[Invitation]) -> dict[int, Links]:
    answer = tokens_issue_many(invitations, TokenPurpose.ANSWER)
    unsubscribe = tokens_issue_many(invitations, TokenPurpose.UNSUBSCRIBE)
    return {pk: Links(answer[pk], unsubscribe[pk]) for pk in answer}


def expiry_for(invitation: Invitation, sent_at: datetime) -> datetime:
    """When the invitation closes: decided already, or the policy's days after sending."""
    if invitation.expires_at is not None:
        return invitation.expires_at
    days = invitation.policy.expire_after_days if invitation.policy else DEFAULT_EXPIRE_DAYS
    return sent_at + timedelta(days=days)


def reminder_due_for(invitation: Invitation, sent_at: datetime) -> datetime | None:
    if invitation.reminder_due_at is not None:
        return invitation.reminder_due_at
    policy = invitation.policy
    if policy is None or policy.reminder_after_days is None:
        return None
    return sent_at + timedelta(days=policy.reminder_after_days)


def invitation_link_issue(invitation: Invitation) -> str:
    """A fresh answer URL for a "link" invitation; the first one marks it sent.

    Each call issues a new token (the helpdesk may post the link again); no reminder is
    scheduled, since we do not know where the helpdesk posted it.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("policy", "customer")
            .get(pk=invitation.pk)
        )
        if not invitation.customer.may_contact:
            raise CustomerOptedOut("the customer opted out of surveys")
        if invitation.delivery != Delivery.LINK:
            raise LinkUnavailable("not a link invitation")
        if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.SENT):
            raise LinkUnavailable(f"invitation is {invitation.status}")
        if invitation.status == InvitationStatus.PENDING:
            now = timezone.now()
            invitation.status = InvitationStatus.SENT
            invitation.sent_at = now
            invitation.expires_at = expiry_for(invitation, now)
            invitation.save(update_fields=["status", "sent_at", "expires_at"])
        raw = token_issue(invitation, TokenPurpose.ANSWER)
    return Links(raw, "").answer_url
