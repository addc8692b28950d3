"""Celery tasks: thin wrappers that take ids and call surveys.delivery, surveys.webhooks and
surveys.followups."""

from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError

from config.celery import queue_after_commit
from surveys import followups, webhooks
from surveys.delivery import claims, sending
from surveys.outbox import GRACE, MAX_RETRIES, RetryLater

# A batch that cannot reach the provider, or whose database went away (a restart), is retried
# whole: its rows keep their claim, and a row already stamped is never sent again. After the
# last retry the lease hands the rows back to the beat.
BATCH_RETRY = {
    "autoretry_for": (*sending.TRANSIENT_ERRORS, OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


def _enqueue(ids: list[int], claim: str, kind: str) -> None:
    invitations_send_batch.apply_async(args=[ids, claim, kind])


@shared_task(acks_late=True, ignore_result=True)
def invitations_dispatch() -> int:
    """Beat: claim due invitations in batches, one send task per batch (queued after commit)."""
    return claims.invitations_dispatch(_enqueue)


@shared_task(acks_late=True, ignore_result=True)
def reminders_dispatch() -> int:
    """Beat: claim due reminders (sent, not answered) in batches."""
    return claims.reminders_dispatch(_enqueue)


@shared_task(acks_late=True, ignore_result=True)
def claims_release_stale() -> dict[str, int]:
    """Beat: settle claims older than the lease (killed worker, lost queue message)."""
    return claims.claims_release_stale()


@shared_task(acks_late=True, ignore_result=True)
def invitations_expire() -> int:
    """Beat: sent and unanswered invitations past their expiry become expired."""
    return claims.invitations_expire()


@shared_task(acks_late=True, ignore_result=True, **BATCH_RETRY)
def invitations_send_batch(ids: list[int], claim: str, kind: str = "invitation") -> dict:
    """Send one claimed batch over one connection; safe to run twice (rows carry the claim)."""
    return asdict(sending.batch_send(ids, claim, kind))


# Outbox tasks (surveys.outbox): the row records each transient failure and when the retry is
# due, so the task retries with the countdown the row holds, and only on those failures; after
# the last retry the beat's catch-up takes over.
OUTBOX_TASK = {"bind": True, "acks_late": True, "ignore_result": True, "max_retries": MAX_RETRIES}


@shared_task(**OUTBOX_TASK)
def response_webhook_deliver(self, delivery_id: int) -> int | None:
    """POST one response event to RESPONSE_WEBHOOK_URL, signed; once, whatever the retries."""
    try:
        return webhooks.webhook_deliver(delivery_id)
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown) from later


@shared_task(**OUTBOX_TASK)
def followup_alert_send(self, follow_up_id: int) -> str:
    """Email a follow-up's alert to the team's lead; once, whatever the retries."""
    try:
        return followups.followup_alert_deliver(follow_up_id)
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown) from later


@shared_task(acks_late=True, ignore_result=True)
def outbox_catch_up() -> dict[str, int]:
    """Beat: queue the webhooks and alerts whose task never ran or ran out of retries."""
    return outbox_requeue()


def outbox_requeue(*, grace: timedelta = GRACE) -> dict[str, int]:
    """What the catch-up does; `grace` is how long a row may wait for its own task."""
    counts = {}
    for name, overdue, task in (
        ("webhooks", webhooks.webhooks_overdue, response_webhook_deliver),
        ("alerts", followups.followup_alerts_overdue, followup_alert_send),
    ):
        ids = overdue(grace=grace)
        for pk in ids:
            queue_after_commit(task, pk)  # At once: the claim of the rows is committed.
        counts[name] = len(ids)
    return counts
