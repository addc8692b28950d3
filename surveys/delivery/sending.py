"""Sending one claimed batch over one connection, each row settled as soon as it is handed over.

For each row, in id order: render the message, stamp the row as handed over (a conditional
UPDATE that must touch exactly one row: still ours, not handed yet), give the message to the
provider, commit the outcome. No transaction spans the network call (a rollback cannot unsend
a mail), and each outcome is committed before the next message, so a killed worker leaves at
most one row in doubt (see surveys.delivery).
"""

import logging
import smtplib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection
from django.db.models import F
from django.utils import timezone

from surveys.models import Delivery, Invitation, InvitationStatus, SkipReason
from tickets.models import Customer

from . import sms, smtp
from .claims import reminder_push_back
from .links import expiry_for, links_issue_many, reminder_due_for
from .messages import (
    Links,
    email_bytes,
    invitation_email,
    invitation_sms,
    reminder_email,
    reminder_sms,
)

logger = logging.getLogger(__name__)

# The provider answered and refused this one message: count an attempt, go on with the batch.
PROVIDER_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)
# The provider cannot be reached: stop the batch and let the task retry with backoff.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,  # includes sms.SmsUnavailable
    TimeoutError,
)


class NoAddress(Exception):
    """The customer has no address for this delivery channel."""


class SmsRefused(Exception):
    """The SMS provider refused this message."""


@dataclass
class BatchReport:
    sent: int = 0
    refused: int = 0
    skipped: int = 0
    withheld: int = 0  # The customer opted out after the claim.
    errors: list[str] = field(default_factory=list)


class _Senders:
    """One email connection and one SMS backend for the whole batch, opened on first use."""

    def __init__(self) -> None:
        self.email = None
        self.sms: sms.BaseSmsBackend | None = None

    def open_for(self, message: EmailMessage | sms.SmsMessage) -> None:
        if isinstance(message, sms.SmsMessage):
            if self.sms is None:
                self.sms = sms.get_backend()
                self.sms.open()
        elif self.email is None:
            self.email = get_connection()
            self.email.open()

    def send(self, message: EmailMessage | sms.SmsMessage) -> None:
        if isinstance(message, sms.SmsMessage):
            assert self.sms is not None
            [result] = self.sms.send_messages([message])
            if not result.ok:
                raise SmsRefused(result.error)
        else:
            assert self.email is not None
            raw = email_bytes(message) if type(self.email) is SmtpBackend else None
            if raw is None:
                self.email.send_messages([message])
            else:
                # What SmtpBackend.send_messages does, minus serializing the message again.
                encoding = message.encoding or settings.DEFAULT_CHARSET
                smtp.send_raw(
                    self.email.connection,
                    smtp.envelope_address(message.from_email, encoding),
                    [smtp.envelope_address(address, encoding) for address in message.recipients()],
                    raw,
                )

    def close(self) -> None:
        for backend in (self.email, self.sms):
            if backend is not None:
                try:
                    backend.close()
                except (OSError, smtplib.SMTPException):
                    logger.warning("Could not close a delivery connection cleanly", exc_info=True)


def _message(invitation: Invitation, links: Links, reminder: bool):
    customer = invitation.customer
    if invitation.delivery == Delivery.SMS:
        if not customer.phone:
            raise NoAddress("the customer has no phone number")
        return (reminder_sms if reminder else invitation_sms)(invitation, links)
    if not customer.email:
        raise NoAddress("the customer has no email address")
    return (reminder_email if reminder else invitation_email)(invitation, links)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


class _InvitationRows:
    """State changes of a first sending: sending -> sent | pending (retry) | failed."""

    reminder = False

    def __init__(self, claim: str) -> None:
        self.claim = claim
        self.now = timezone.now()
        self.unconfirmed: Invitation | None = None

    def queryset(self, ids: list[int]):
        return Invitation.objects.filter(
            pk__in=ids, claim=self.claim, status=InvitationStatus.SENDING, sent_at__isnull=True
        )

    def prepare(self, invitation: Invitation) -> None:
        # Tokens expire with the invitation, so its expiry is known before they are issued.
        invitation.decided_expires_at = invitation.expires_at
        invitation.expires_at = expiry_for(invitation, self.now)

    def hand_over(self, invitation: Invitation) -> bool:
        """Stamp the row (it must still be ours and unstamped), in the same statement that
        confirms the previous message: one database round trip per email instead of two."""
        now = timezone.now()
        stamp = {
            "sent_at": now,
            "expires_at": invitation.expires_at,
            "reminder_due_at": reminder_due_for(invitation, now),
        }
        previous, self.unconfirmed = self.unconfirmed, None
        if previous is None:
            return _asking(self.queryset([invitation.pk]), invitation).update(**stamp) == 1
        if _stamp_and_confirm(self.claim, invitation.pk, previous.pk, stamp) == 2:
            return True
        # Rare: a row was released under us; ask which one.
        return Invitation.objects.filter(pk=invitation.pk, claim=self.claim, sent_at=now).exists()

    def withhold(self, invitation: Invitation) -> bool:
        """The stamp was refused because the customer opted out: cancel the row, if so."""
        withheld = _asking(self.queryset([invitation.pk]), invitation, stopped=True).update(
            status=InvitationStatus.CANCELLED,
            skip_reason=SkipReason.OPTED_OUT,
            claim=None,
            claimed_at=None,
        )
        return withheld == 1

    def done(self, invitation: Invitation) -> None:
        # Confirmed with the next stamp (or by flush): until then the row is stamped, which a
        # release also counts as sent, so nothing is lost by waiting.
        self.unconfirmed = invitation

    def flush(self) -> None:
        previous, self.unconfirmed = self.unconfirmed, None
        if previous is not None:
            Invitation.objects.filter(pk=previous.pk, claim=self.claim).update(
                status=InvitationStatus.SENT, claim=None, claimed_at=None
            )

    def refused(self, invitation: Invitation, error: str, *, final: bool = False) -> None:
        attempts = invitation.attempts + 1
        failed = final or attempts >= settings.INVITATION_MAX_ATTEMPTS
        delay = timedelta(seconds=settings.INVITATION_RETRY_SECONDS * 2 ** (attempts - 1))
        Invitation.objects.filter(pk=invitation.pk, claim=self.claim).update(
            status=InvitationStatus.FAILED if failed else InvitationStatus.PENDING,
            send_after=F("send_after") if failed else timezone.now() + delay,
            attempts=F("attempts") + 1,
            last_error=error,
            sent_at=None,
            expires_at=invitation.decided_expires_at,
            reminder_due_at=None,
            claim=None,
            claimed_at=None,
        )


def _asking(queryset, invitation: Invitation, *, stopped: bool = False):
    """`queryset` narrowed to its rows whose customer may still be contacted (or, `stopped`,
    may not), asked in the statement that changes them, by the customer's primary key."""
    customer = Customer.objects.filter(pk=invitation.customer_id)
    return queryset.filter(
        customer__in=customer.may_not_contact() if stopped else customer.may_contact()
    )


# What the statement below changes: on the confirmed row, then on the stamped one.
_CONFIRMED = {"status": InvitationStatus.SENT, "claim": None, "claimed_at": None}
_STAMPED = ("sent_at", "expires_at", "reminder_due_at")


def _stamp_and_confirm(claim: str, pk: int, previous: int, stamp: dict) -> int:
    """Stamp row `pk` as handed over and mark row `previous` sent; returns the rows updated.

    Row `pk` is stamped only if its customer may still be contacted: asked in the statement
    that stamps it, so an opt-out committed before the stamp is always seen.

    Written as SQL because this statement runs once per email: building it with the ORM
    (CASE expressions resolved and compiled every time) cost more than sending the email.
    """
    field = Invitation._meta.get_field
    params = []
    for value in _CONFIRMED.values():
        params += [previous, value]
    for name in _STAMPED:
        params += [pk, field(name).get_db_prep_value(stamp[name], connection)]
    claim_value = field("claim").get_db_prep_value(claim, connection)
    sql, rule_params = _stamp_and_confirm_sql(connection.vendor)
    params += [previous, pk, claim_value, InvitationStatus.SENDING, previous, *rule_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@lru_cache(maxsize=4)
def _stamp_and_confirm_sql(vendor: str) -> tuple[str, tuple]:
    def column(name: str) -> str:
        return connection.ops.quote_name(Invitation._meta.get_field(name).column)

    pk = column("id")
    table = connection.ops.quote_name(Invitation._meta.db_table)
    assignments = ", ".join(
        f"{column(name)} = CASE WHEN {pk} = %s THEN %s ELSE {column(name)} END"
        for name in (*_CONFIRMED, *_STAMPED)
    )
    customers = Customer.objects.may_contact()
    customer_table = connection.ops.quote_name(Customer._meta.db_table)
    rule, rule_params = customers.query.where.as_sql(
        customers.query.get_compiler(connection=connection), connection
    )
    may_contact = (
        f"EXISTS (SELECT 1 FROM {customer_table}"
        f" WHERE {customer_table}.{connection.ops.quote_name(Customer._meta.pk.column)}"
        f" = {table}.{column('customer')} AND {rule})"
    )
    # Rows by primary key only: the status test sits in a CASE, which no index can serve.
    # Written plainly, it lets the planner, whose statistics lag behind a large send, read
    # every in-flight row through a status index instead of two rows by key.
    sql = (
        f"UPDATE {table} SET {assignments}"
        f" WHERE {pk} IN (%s, %s) AND {column('claim')} = %s"
        f" AND CASE WHEN {column('status')} = %s"
        f" THEN {pk} = %s OR ({column('sent_at')} IS NULL AND {may_contact}) ELSE false END"
    )
    return sql, tuple(rule_params)


class _ReminderRows(_InvitationRows):
    """State changes of a reminder: the row stays sent; reminded_at marks the hand-over."""

    reminder = True

    def queryset(self, ids: list[int]):
        return Invitation.objects.filter(
            pk__in=ids, claim=self.claim, status=InvitationStatus.SENT, reminded_at__isnull=True
        )

    def prepare(self, invitation: Invitation) -> None:
        pass

    def hand_over(self, invitation: Invitation) -> bool:
        stamped = _asking(self.queryset([invitation.pk]), invitation).update(
            reminded_at=timezone.now()
        )
        return stamped == 1

    def withhold(self, invitation: Invitation) -> bool:
        withheld = _asking(self.queryset([invitation.pk]), invitation, stopped=True).update(
            claim=None, claimed_at=None, reminder_due_at=None
        )
        return withheld == 1

    def done(self, invitation: Invitation) -> None:
        Invitation.objects.filter(pk=invitation.pk, claim=self.claim).update(
            claim=None, claimed_at=None, reminder_due_at=None
        )

    def flush(self) -> None:
        pass

    def refused(self, invitation: Invitation, error: str, *, final: bool = False) -> None:
        if final:
            Invitation.objects.filter(pk=invitation.pk, claim=self.claim).update(
                claim=None, claimed_at=None, reminder_due_at=None, last_error=error
            )
        else:
            reminder_push_back(invitation.pk, self.claim, error)


def batch_send(ids: list[int], claim: str, kind: str = "invitation") -> BatchReport:
    """Send the rows of `ids` that still belong to `claim`; see the module docstring."""
    rows = _ReminderRows(claim) if kind == "reminder" else _InvitationRows(claim)
    invitations = list(
        rows.queryset(ids)
        .select_related("customer", "questionnaire", "policy", "contact")
        .order_by("pk")
    )
    report = BatchReport()
    if not invitations:
        return report
    for invitation in invitations:
        rows.prepare(invitation)
    links = links_issue_many(invitations)
    senders = _Senders()
    try:
        with _commits_without_flush():
            try:
                for invitation in invitations:
                    _send_one(invitation, links[invitation.pk], rows, senders, report)
            finally:
                rows.flush()
    finally:
        senders.close()
    return report


@contextmanager
def _commits_without_flush():
    """Commit each row's stamp and outcome without waiting for the disk (PostgreSQL).

    A flushed commit costs a disk sync (about 4 ms here): two per email would cap a worker
    near 125 emails/s. An unflushed commit is visible at once and survives the worker being
    killed; only a crash of PostgreSQL itself can lose the last moments of them (at most
    3 x wal_writer_delay, 0.6 s by default), and the emails handed over in that window may
    then be sent again. INVITATION_DURABLE_STAMPS=1 flushes every commit instead.
    """
    if connection.vendor != "postgresql" or settings.INVITATION_DURABLE_STAMPS:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


def _send_one(invitation, links, rows, senders: _Senders, report: BatchReport) -> None:
    try:
        message = _message(invitation, links, rows.reminder)
    except NoAddress as exc:
        rows.refused(invitation, _error_text(exc), final=True)
        report.refused += 1
        return
    senders.open_for(message)  # A connection that cannot open is transient: retried whole.
    if not rows.hand_over(invitation):
        if rows.withhold(invitation):
            report.withheld += 1
        else:
            report.skipped += 1  # Taken by another claim, answered, or already handed over.
        return
    try:
        senders.send(message)
    except (*PROVIDER_ERRORS, SmsRefused) as exc:
        rows.refused(invitation, _error_text(exc))
        report.refused += 1
        report.errors.append(_error_text(exc))
        return
    except TRANSIENT_ERRORS as exc:
        rows.refused(invitation, _error_text(exc))
        raise
    rows.done(invitation)
    report.sent += 1
