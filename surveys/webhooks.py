"""The outgoing webhook: each new response POSTed, signed, to RESPONSE_WEBHOOK_URL.

Signature (the `Ecoute-Signature` header): `t=<unix time>,v1=<hex>` where `<hex>` is
HMAC-SHA256 with RESPONSE_WEBHOOK_SECRET as key over `<unix time>.<raw request body>`. To
verify: split the header, recompute the HMAC over the timestamp, a dot and the body bytes as
received, compare in constant time (`hmac.compare_digest`), and refuse a timestamp more than a
few minutes away from your clock (replays). `Ecoute-Delivery` is unique per event: a retried POST
carries the same one (the Celery task id), so the receiver can drop duplicates. A changed
answer is posted again as `response.updated`.
"""

import hashlib
import hmac
import json
import logging
import time
import uuid

import httpx
from django.conf import settings
from django.db import transaction

from surveys.models import Response

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "Ecoute-Signature"
DELIVERY_HEADER = "Ecoute-Delivery"
TIMEOUT_SECONDS = 10.0


class WebhookServerError(ConnectionError):
    """The receiver answered 5xx or 429: try again later."""


TRANSIENT_ERRORS = (httpx.TransportError, WebhookServerError)


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


def response_webhook_post(
    response_id: int, event: str = "response.created", delivery_id: str = ""
) -> int | None:
    """POST the response; returns the HTTP status, or None when the response is gone."""
    url = settings.RESPONSE_WEBHOOK_URL
    response = (
        Response.objects.select_related("contact", "ticket", "invitation")
        .filter(pk=response_id)
        .first()
    )
    if not url or response is None:
        return None
    body = json.dumps(response_payload(response, event), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(body, int(time.time())),
        DELIVERY_HEADER: delivery_id or str(uuid.uuid4()),
        "User-Agent": "Ecoute-Webhook/1",
    }
    answer = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    if answer.status_code == 429 or answer.status_code >= 500:
        raise WebhookServerError(f"{url} answered {answer.status_code}")
    if answer.status_code >= 400:
        # A 4xx will not get better by retrying: say so loudly once.
        logger.error("Webhook %s refused response %s: %s", url, response.pk, answer.status_code)
    return answer.status_code


def on_response_recorded(
    sender, response_id: int | None = None, created: bool = True, **kwargs
) -> None:
    """Receiver of surveys.signals.response_recorded: queue the POST once the answer commits.

    A changed answer (new score, follow-ups) is posted too, as `response.updated`.
    """
    if response_id is None and kwargs.get("response") is not None:
        response_id = kwargs["response"].pk
    if not settings.RESPONSE_WEBHOOK_URL or response_id is None:
        return
    from surveys.tasks import response_webhook_post as task

    event = "response.created" if created else "response.updated"
    transaction.on_commit(lambda: task.delay(response_id, event))
