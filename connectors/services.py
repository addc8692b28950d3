"""Taking bodies in and handing them to the workers: store first, answer, process later."""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Origin, Payload, PayloadState, Source
from .signatures import DELIVERY_HEADERS, UNTIMED

logger = logging.getLogger(__name__)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def delivery_id_for(source: Source, headers, body_sha: str) -> str:
    header = DELIVERY_HEADERS.get(source.kind)
    given = (headers.get(header, "") if header else "").strip()[:200]
    return given or f"sha256:{body_sha}"


def payload_accept(source: Source, headers, body: bytes, now: datetime | None = None) -> bool:
    """Store a verified webhook body; False when it is a delivery already received.

    The body is written raw and processing is queued after the commit, so the helpdesk gets
    its answer at once whatever the workers are doing.
    """
    sha = body_digest(body)
    if source.kind in UNTIMED and Payload.objects.filter(source=source, digest=sha).exists():
        return False  # no signed time: the same body again is a replay or a resend
    return payload_store(
        source, delivery_id_for(source, headers, sha), body, Origin.WEBHOOK, sha=sha, now=now
    )


def payload_store(
    source: Source,
    delivery_id: str,
    body: bytes,
    origin: str,
    *,
    sha: str | None = None,
    now: datetime | None = None,
) -> bool:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            Payload.objects.create(
                source=source,
                delivery_id=delivery_id,
                digest=sha or body_digest(body),
                origin=origin,
                body=body.decode("utf-8"),
                received_at=now,
                available_at=now,
            )
    except IntegrityError:
        return False  # the same delivery again: stored once, processed once
    transaction.on_commit(process_soon, robust=True)
    return True


# While this key lives, a worker run is already queued to start after it expires: bodies
# stored meanwhile are taken by that run. One queue message per second at most, instead of
# one per body (a Celery publish costs about 1 ms of the web process's CPU; SET NX 0.2 ms).
KICK_KEY = "ecoute:connectors:processing-queued"
KICK_MILLISECONDS = 1000


def process_soon() -> None:
    """Queue a worker run; if the broker is down the bodies wait, stored, for the beat."""
    from .tasks import payloads_process

    if settings.CELERY_TASK_ALWAYS_EAGER:
        payloads_process.delay()  # in-process (the demo): nothing to spare
    elif _kick_claim():
        # Starts once the key has expired (with a margin for clocks), so that it sees every
        # body whose queueing the key skipped.
        payloads_process.apply_async(countdown=2 * KICK_MILLISECONDS / 1000)


def _kick_claim() -> bool:
    return bool(_redis().set(KICK_KEY, "1", nx=True, px=KICK_MILLISECONDS))


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5)


def payloads_replay(payloads: Iterable[Payload] | None = None, pks: Iterable[int] = ()) -> int:
    """Put bodies back in line (after a mapping was fixed): they are processed again."""
    ids = [p.pk for p in payloads or ()] + list(pks)
    count = Payload.objects.filter(pk__in=ids).update(
        state=PayloadState.PENDING, available_at=timezone.now(), attempts=0, reason=""
    )
    if count:
        transaction.on_commit(process_soon, robust=True)
    return count


def payloads_purge(before: datetime) -> int:
    """Forget bodies recorded or ignored before `before` (failed ones stay until fixed)."""
    done = [PayloadState.DONE, PayloadState.IGNORED]
    deleted, _by_model = Payload.objects.filter(state__in=done, received_at__lt=before).delete()
    return deleted
