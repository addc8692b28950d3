"""Celery tasks: thin wrappers that take ids and call surveys.delivery / surveys.webhooks."""

from dataclasses import asdict

from celery import shared_task

from surveys import webhooks
from surveys.delivery import claims, sending

# A batch that cannot reach the provider is retried whole (its rows keep their claim); after
# the last retry the lease hands the rows back to the beat.
BATCH_RETRY = {
    "autoretry_for": sending.TRANSIENT_ERRORS,
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


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=webhooks.TRANSIENT_ERRORS,
    retry_backoff=10,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
)
def response_webhook_post(self, response_id: int, event: str = "response.created") -> int | None:
    """POST one response to RESPONSE_WEBHOOK_URL, signed; retried on transport errors and 5xx."""
    # The task id survives retries: the receiver's key for dropping a duplicate.
    return webhooks.response_webhook_post(response_id, event, delivery_id=self.request.id or "")
