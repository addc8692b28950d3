"""Pulling a helpdesk's exports page by page, resuming where the last page left off.

Each page is stored as a body (origin "pull") in the same transaction that moves the stream's
cursor past it: killed at any point, a sync restarts from the last stored page, so no page is
skipped and none is stored twice (a page fetched again is the same delivery). The stored pages
are then processed as webhook bodies are.

A 429 answer is waited out (its Retry-After) when the wait is at most
CONNECTORS_MAX_WAIT_SECONDS; a longer one stops the sync and the source is left alone until
then (`Source.rate_limited_until`).

Streams:
- Zendesk `tickets`: the cursor-based incremental ticket export, with metric sets and users
  (reply and resolution times, requesters' emails); satisfaction ratings come with tickets.
- Zendesk `ticket_metric_events`: the time-based export of metric events (first replies).
- Freshdesk `satisfaction_ratings`: ratings created since the last one seen, page by page.
"""

import email.utils
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Cursor, Kind, Origin, Source
from .services import body_digest, payload_store

logger = logging.getLogger(__name__)

FRESHDESK_PAGE = 100


class RateLimited(Exception):
    """The helpdesk asked us to wait longer than we wait in one sync."""


@dataclass
class Page:
    body: bytes
    # The cursor to store once this page is stored; None: the stream ends here for now.
    next_cursor: str
    more: bool


@dataclass(frozen=True)
class Stream:
    name: str
    url: Callable[[Source, str], str]
    read: Callable[[Source, str, dict, bytes], Page]


def _start(source: Source) -> datetime:
    return source.pull_from or timezone.now() - timedelta(days=30)


def _zendesk_tickets_url(source: Source, cursor: str) -> str:
    query = {"include": "metric_sets,users"}
    query.update({"cursor": cursor} if cursor else {"start_time": int(_start(source).timestamp())})
    base = source.base_url.rstrip("/")
    return f"{base}/api/v2/incremental/tickets/cursor.json?{urlencode(query)}"


def _zendesk_tickets_read(source: Source, cursor: str, data: dict, body: bytes) -> Page:
    after = data.get("after_cursor") or cursor
    return Page(body, after, more=not data.get("end_of_stream", True) and after != cursor)


def _zendesk_events_url(source: Source, cursor: str) -> str:
    start = cursor or str(int(_start(source).timestamp()))
    base = source.base_url.rstrip("/")
    return f"{base}/api/v2/incremental/ticket_metric_events.json?start_time={start}"


def _zendesk_events_read(source: Source, cursor: str, data: dict, body: bytes) -> Page:
    end = str(data.get("end_time") or cursor)
    more = bool(data.get("next_page")) and data.get("count", 0) > 0 and end != cursor
    return Page(body, end, more)


def _freshdesk_ratings_url(source: Source, cursor: str) -> str:
    since, _sep, page = cursor.partition("|")
    since = since or _start(source).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {"created_since": since, "page": page or "1", "per_page": FRESHDESK_PAGE}
    return f"{source.base_url.rstrip('/')}/api/v2/surveys/satisfaction_ratings?{urlencode(query)}"


def _freshdesk_ratings_read(source: Source, cursor: str, data, body: bytes) -> Page:
    since, _sep, page = cursor.partition("|")
    since = since or _start(source).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = data if isinstance(data, list) else []
    if len(items) >= FRESHDESK_PAGE:
        return Page(body, f"{since}|{int(page or 1) + 1}", more=True)
    # The last page: next time, ratings created since the newest one seen (seen again, and
    # recorded once: ratings are upserted by id).
    newest = max((str(i.get("created_at", "")) for i in items), default=since)
    return Page(body, f"{max(newest, since)}|1", more=False)


STREAMS = {
    Kind.ZENDESK: [
        Stream("tickets", _zendesk_tickets_url, _zendesk_tickets_read),
        Stream("ticket_metric_events", _zendesk_events_url, _zendesk_events_read),
    ],
    Kind.FRESHDESK: [
        Stream("satisfaction_ratings", _freshdesk_ratings_url, _freshdesk_ratings_read),
    ],
}


def streams_of(source: Source) -> list[Stream]:
    return STREAMS.get(source.kind, [])


def source_sync(
    source: Source,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_pages: int | None = None,
) -> int:
    """Pull every stream of `source` to its end; returns the pages stored."""
    if source.rate_limited_until and source.rate_limited_until > timezone.now():
        logger.info("%s is rate limited until %s", source, source.rate_limited_until)
        return 0
    own = client is None
    client = client or httpx.Client(auth=_auth(source), timeout=settings.CONNECTORS_HTTP_TIMEOUT)
    stored = 0
    try:
        for stream in streams_of(source):
            stored += _stream_sync(source, stream, client, sleep, max_pages)
    finally:
        if own:
            client.close()
    return stored


def _stream_sync(source, stream: Stream, client, sleep, max_pages) -> int:
    stored = 0
    while max_pages is None or stored < max_pages:
        cursor = Cursor.objects.filter(source=source, stream=stream.name).first()
        value = cursor.value if cursor else ""
        url = stream.url(source, value)
        response = _get(source, client, url, sleep)
        page = stream.read(source, value, response.json(), response.content)
        with transaction.atomic():
            payload_store(
                source,
                f"pull:{stream.name}:{body_digest(page.body)}",
                page.body,
                Origin.PULL,
            )
            Cursor.objects.update_or_create(
                source=source, stream=stream.name, defaults={"value": page.next_cursor}
            )
        stored += 1
        if not page.more:
            break
    return stored


def _get(source: Source, client: httpx.Client, url: str, sleep) -> httpx.Response:
    while True:
        response = client.get(url, headers={"Accept": "application/json"})
        if response.status_code != 429:
            response.raise_for_status()
            json.loads(response.content)  # a page that is not JSON fails here, not stored
            return response
        wait = _retry_after(response.headers.get("Retry-After", ""))
        if wait > settings.CONNECTORS_MAX_WAIT_SECONDS:
            until = timezone.now() + timedelta(seconds=wait)
            Source.objects.filter(pk=source.pk).update(rate_limited_until=until)
            raise RateLimited(f"{source}: rate limited for {wait:.0f} s")
        logger.info("%s: rate limited, waiting %.0f s as asked", source, wait)
        sleep(wait)


def _retry_after(value: str) -> float:
    """Seconds to wait: Retry-After is a number of seconds or an HTTP date; 60 when absent."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 60.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _auth(source: Source):
    token = source.api_token or ""  # stored as NULL when not set
    if source.kind == Kind.FRESHDESK:
        return httpx.BasicAuth(token, "X")
    if source.api_user:
        return httpx.BasicAuth(f"{source.api_user}/token", token)
    return _Bearer(token)


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
