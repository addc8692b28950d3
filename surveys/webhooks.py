"""The outgoing webhook: each new or changed response POSTed, signed, to RESPONSE_WEBHOOK_URL.

Signature (the `Ecoute-Signature` header): `t=<unix time>,v1=<hex>` where `<hex>` is
HMAC-SHA256 with RESPONSE_WEBHOOK_SECRET as key over `<unix time>.<raw request body>`. To
verify: split the header, recompute the HMAC over the timestamp, a dot and the body bytes as
received, compare in constant time (`hmac.compare_digest`), and refuse a timestamp more than a
few minutes away from your clock (replays). `Ecoute-Delivery` is unique per event and the same
for every attempt, so the receiver can drop a repeat. A changed answer is posted again as
`response.updated`.

Each event is a `WebhookDelivery` row written with the answer (surveys.outbox): a task posts it
once the answer commits, retried with backoff on transport errors, 429 and 5xx; the beat's
catch-up queues the events whose task never ran (broker down) or ran out of retries. A 4xx is
a refusal: the row is marked failed and logged, not retried.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from config.celery import queue_after_commit
from surveys.models import OutboxState, Response, WebhookDelivery, WebhookEvent
from surveys.outbox import GRACE, Columns, error_text

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "Ecoute-Signature"
DELIVERY_HEADER = "Ecoute-Delivery"
TIMEOUT_SECONDS = 10.0
WEBHOOK = Columns(state="state", due_at="due_at", attempts="attempts", error="last_error")


def signature(body: bytes, timestamp: int, secret: str | None = None) -> str:
    key = (secret or settings.RESPONSE_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(header: str, body: bytes, secret: str, *, tolerance: int = 300) -> bool:
    """What a receiver does; also used by our tests."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(body, timestamp, secret).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def response_payload(response: Response, event: str = "response.created") -> dict:
    invitation = getattr(response, "invitation", None)
    return {
        "event": event,
        "response": {
            "id": response.pk,
            "kind": response.kind,
            "score": response.score,
            "scale_min": response.scale_min,
            "scale_max": response.scale_max,
            "resolved": response.resolved or None,
            "comment": response.comment,
            "responded_at": response.responded_at.isoformat(),
            "invitation_id": invitation.pk if invitation else None,
            "contact_external_id": response.contact.external_id if response.contact else None,
            "ticket_external_id": response.ticket.external_id if response.ticket else None,
        },
    }


def webhook_deliver(delivery_id: int) -> int | None:
    """POST one pending event if this worker takes it; returns the receiver's status.

    Raises outbox.RetryLater on a transient failure (recorded on the row).
    """
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    if not WEBHOOK.take(rows):
        return None  # Sent already, refused for good, or another worker has it.
    delivery = rows.select_related("response__contact", "response__ticket").get()
    url = settings.RESPONSE_WEBHOOK_URL
    if not url:
        WEBHOOK.settle(rows, OutboxState.FAILED, "RESPONSE_WEBHOOK_URL is not set.")
        return None
    body = json.dumps(response_payload(delivery.response, delivery.event), separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(body.encode(), int(time.time())),
        DELIVERY_HEADER: str(delivery.uuid),
        "User-Agent": "Ecoute-Webhook/1",
    }
    try:
        answer = httpx.post(url, content=body.encode(), headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.TransportError as exc:
        raise WEBHOOK.retry_later(rows, error_text(exc), delivery.attempts) from exc
    if answer.status_code == 429 or answer.status_code >= 500:
        error = f"{url} answered {answer.status_code}"
        raise WEBHOOK.retry_later(rows, error, delivery.attempts)
    if answer.status_code >= 400:
        # A 4xx will not get better by retrying: say so loudly once.
        logger.error(
            "Webhook %s refused response %s: %s", url, delivery.response_id, answer.status_code
        )
        WEBHOOK.settle(rows, OutboxState.FAILED, f"{url} answered {answer.status_code}")
        return answer.status_code
    WEBHOOK.settle(rows, OutboxState.SENT, sent_at=timezone.now())
    return answer.status_code


def on_response_recorded(
    sender, response_id: int | None = None, created: bool = True, **kwargs
) -> None:
    """Receiver of surveys.signals.response_recorded, inside the answer's transaction: write the
    event's outbox row and queue its POST for after the commit.

    A changed answer (new score, follow-ups) is posted too, as `response.updated`.
    """
    if response_id is None and kwargs.get("response") is not None:
        response_id = kwargs["response"].pk
    if not settings.RESPONSE_WEBHOOK_URL or response_id is None:
        return
    from surveys.tasks import response_webhook_deliver

    event = WebhookEvent.CREATED if created else WebhookEvent.UPDATED
    delivery = WebhookDelivery.objects.create(
        response_id=response_id, event=event, due_at=timezone.now()
    )
    queue_after_commit(response_webhook_deliver, delivery.pk)


def webhooks_overdue(*, grace: timedelta = GRACE) -> list[int]:
    """The catch-up: pending events whose task never came; returns their ids, claimed."""
    return WEBHOOK.overdue(WebhookDelivery.objects.all(), grace=grace)
