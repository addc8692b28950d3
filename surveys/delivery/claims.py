"""Claiming due work in batches, queueing it after commit, and releasing stale claims.

A claim is a UUID written on every row of one batch with the time it was taken. The worker
only touches rows that still carry its claim, so a released and re-claimed row belongs to the
new claim alone.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from surveys.models import Delivery, Invitation, InvitationStatus, SkipReason
from tickets.models import Customer

logger = logging.getLogger(__name__)

# Deliveries the workers send; "link" invitations are fetched by the helpdesk (links.py).
SENT_BY_US = [Delivery.EMAIL, Delivery.SMS]
UNCONFIRMED = "Worker stopped while handing the message over; not sent again (at most once)."

Enqueue = Callable[[list[int], str, str], None]


def _lock(queryset: QuerySet) -> QuerySet:
    # SQLite has no row locks and serialises writers; the claim UPDATE below re-checks anyway.
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _claim(
    queryset: QuerySet, *, kind: str, enqueue: Enqueue, now, **claimed
) -> tuple[int, list[int]]:
    """Claim up to one batch from `queryset` and queue it once the claim is committed.

    Returns how many due rows were looked at and the ids claimed. Rows whose customer opted out
    since the decision are withheld instead of claimed.
    """
    claim = uuid.uuid4()
    with transaction.atomic():
        size = settings.INVITATION_BATCH_SIZE
        locked = dict(_lock(queryset).values_list("pk", "customer_id")[:size])
        if not locked:
            return 0, []
        stopped = set(
            Customer.objects.filter(pk__in=set(locked.values()))
            .may_not_contact()
            .values_list("pk", flat=True)
        )
        withheld = [pk for pk, customer in locked.items() if customer in stopped]
        if withheld:
            _withhold(queryset.filter(pk__in=withheld), kind)
        queryset.filter(pk__in=[pk for pk in locked if pk not in withheld]).update(
            claim=claim, claimed_at=now, **claimed
        )
        # Check we got them: on SQLite a concurrent claim may have taken some first.
        ids = list(
            Invitation.objects.filter(pk__in=locked, claim=claim)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: _enqueue_or_release(enqueue, ids, claim, kind))
    return len(locked), ids


def _withhold(queryset: QuerySet, kind: str) -> int:
    """The customer opted out after the survey was decided: nothing more goes to them."""
    if kind == "reminder":
        return queryset.update(reminder_due_at=None)
    return queryset.update(status=InvitationStatus.CANCELLED, skip_reason=SkipReason.OPTED_OUT)


def _enqueue_or_release(enqueue: Enqueue, ids: list[int], claim: uuid.UUID, kind: str) -> None:
    try:
        enqueue(ids, str(claim), kind)
    except Exception:
        # The broker is down or refused the task: give the rows back now rather than after the
        # lease; nothing was handed over, so nothing can be sent twice.
        logger.exception("Could not queue %s batch %s; releasing %d rows", kind, claim, len(ids))
        claim_release(claim)
        raise


def claim_release(claim: uuid.UUID | str) -> int:
    """Give back the rows of a claim that were not handed over yet."""
    released = Invitation.objects.filter(
        claim=claim, status=InvitationStatus.SENDING, sent_at__isnull=True
    ).update(status=InvitationStatus.PENDING, claim=None, claimed_at=None)
    released += (
        Invitation.objects.filter(claim=claim, reminded_at__isnull=True)
        .exclude(status=InvitationStatus.SENDING)
        .update(claim=None, claimed_at=None)
    )
    return released


def due_invitations(now) -> QuerySet:
    return Invitation.objects.filter(
        status=InvitationStatus.PENDING, send_after__lte=now, delivery__in=SENT_BY_US
    ).order_by("send_after", "pk")  # Oldest first, so that the beat never starves old rows.


def due_reminders(now) -> QuerySet:
    return Invitation.objects.filter(
        status=InvitationStatus.SENT,
        delivery__in=SENT_BY_US,
        reminder_due_at__lte=now,
        reminded_at__isnull=True,
        claim__isnull=True,
        expires_at__gt=now,
    ).order_by("reminder_due_at", "pk")


def invitations_dispatch(enqueue: Enqueue, *, now=None, max_batches: int | None = None) -> int:
    """Claim due invitations batch by batch and queue each batch; returns the rows queued.

    Stops when nothing is due or when INVITATION_MAX_IN_FLIGHT rows are claimed and unsent,
    so a backlog waits in the database (as pending) rather than in the queue.
    """
    now = now or timezone.now()
    in_flight = Invitation.objects.filter(status=InvitationStatus.SENDING).count()
    budget = settings.INVITATION_MAX_IN_FLIGHT - in_flight
    queued = batches = 0
    while budget > 0 and (max_batches is None or batches < max_batches):
        looked_at, ids = _claim(
            due_invitations(now),
            kind="invitation",
            enqueue=enqueue,
            now=now,
            status=InvitationStatus.SENDING,
        )
        if not looked_at:
            break
        queued += len(ids)
        budget -= len(ids)
        batches += 1
    return queued


def reminders_dispatch(enqueue: Enqueue, *, now=None, max_batches: int | None = None) -> int:
    """Claim invitations whose one reminder is due (sent, not answered) and queue them."""
    now = now or timezone.now()
    queued = batches = 0
    while max_batches is None or batches < max_batches:
        looked_at, ids = _claim(due_reminders(now), kind="reminder", enqueue=enqueue, now=now)
        if not looked_at:
            break
        queued += len(ids)
        batches += 1
    return queued


def claims_release_stale(*, now=None, lease: timedelta | None = None) -> dict[str, int]:
    """Settle claims older than the lease: the worker died or the queue message was lost.

    A row not handed over goes back to pending (it was never sent). A row stamped as handed
    over may have reached the provider: it is marked sent with a note, never sent again.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.INVITATION_LEASE_SECONDS) if lease is None else lease
    stale = Invitation.objects.filter(claim__isnull=False, claimed_at__lte=now - lease)
    counts = {
        "released": stale.filter(status=InvitationStatus.SENDING, sent_at__isnull=True).update(
            status=InvitationStatus.PENDING, claim=None, claimed_at=None
        ),
        "unconfirmed": stale.filter(status=InvitationStatus.SENDING, sent_at__isnull=False).update(
            status=InvitationStatus.SENT, claim=None, claimed_at=None, last_error=UNCONFIRMED
        ),
        # Reminder claims sit on sent rows, which may have been answered meanwhile.
        "reminders_released": stale.exclude(status=InvitationStatus.SENDING)
        .filter(reminded_at__isnull=True)
        .update(claim=None, claimed_at=None),
        # A stale reminder already stamped counts as sent: the reminder is never sent twice.
        "reminders_unconfirmed": stale.exclude(reminded_at__isnull=True).update(
            claim=None, claimed_at=None, reminder_due_at=None
        ),
    }
    if any(counts.values()):
        logger.warning("Released stale delivery claims: %s", counts)
    return counts


def invitations_expire(*, now=None) -> int:
    """Sent and unanswered past their expiry: expired. Idempotent."""
    now = now or timezone.now()
    return Invitation.objects.filter(status=InvitationStatus.SENT, expires_at__lte=now).update(
        status=InvitationStatus.EXPIRED, reminder_due_at=None
    )


def reminder_push_back(pk: int, claim: str, error: str) -> None:
    """The provider refused a reminder: try again later (until the invitation expires)."""
    delay = timedelta(seconds=settings.INVITATION_RETRY_SECONDS)
    Invitation.objects.filter(pk=pk, claim=claim).update(
        claim=None,
        claimed_at=None,
        reminded_at=None,
        reminder_due_at=timezone.now() + delay,
        attempts=F("attempts") + 1,
        last_error=error[:2000],
    )
