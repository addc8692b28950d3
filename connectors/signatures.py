"""Checking that a webhook body comes from the helpdesk, each in its vendor's own scheme.

- Zendesk: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of the timestamp header followed
  by the body, timestamp in `X-Zendesk-Webhook-Signature-Timestamp`.
- Chatwoot: `X-Chatwoot-Signature` = `sha256=` hex HMAC-SHA256 of `<timestamp>.<body>`,
  timestamp (Unix seconds) in `X-Chatwoot-Timestamp`.
- Zammad: `X-Hub-Signature` = `sha1=` hex HMAC-SHA1 of the body. No time is signed.
- Freshdesk: no signature; the webhook sends a shared secret, as the password of HTTP basic
  authentication or in `X-Ecoute-Secret`, compared with the digest we keep.
- Generic: `X-Ecoute-Signature: t=<Unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the scheme
  of Ecoute's own outgoing webhook.

A signed time older (or further ahead) than REPLAY_WINDOW is refused, so a captured request
cannot be played again later; within the window, the delivery id makes a resend a duplicate.
Where no time is signed (Zammad, Freshdesk), a body already received is a duplicate whatever
delivery header comes with it.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from .models import Kind, Source, secret_digest
from .values import parse_time

REPLAY_WINDOW = timedelta(minutes=5)


class Refused(Exception):
    """The request is not the helpdesk's, or is too old: answered 401, nothing written."""


def verify(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Raise Refused unless `body` carries a valid, fresh proof of `source`."""
    if not source.has_secret:
        raise Refused(_("This source has no secret yet: set it in the admin."))
    _CHECKS[source.kind](source, headers, body, now)


def _zendesk(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    signature = headers.get("X-Zendesk-Webhook-Signature", "")
    stamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
    mac = hmac.new(source.signing_key.encode(), stamp.encode() + body, hashlib.sha256)
    _compare(base64.b64encode(mac.digest()).decode(), signature)
    _fresh(stamp, now)


def _chatwoot(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    signature = headers.get("X-Chatwoot-Signature", "")
    stamp = headers.get("X-Chatwoot-Timestamp", "")
    mac = hmac.new(source.signing_key.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    _compare("sha256=" + mac.hexdigest(), signature)
    _fresh(stamp, now)


def _zammad(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    mac = hmac.new(source.signing_key.encode(), body, hashlib.sha1)
    _compare("sha1=" + mac.hexdigest(), headers.get("X-Hub-Signature", ""))


def _freshdesk(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    given = headers.get("X-Ecoute-Secret", "") or _basic_password(headers.get("Authorization", ""))
    _compare(source.secret_digest, secret_digest(given) if given else "")


def _generic(source: Source, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    parts = dict(
        item.strip().split("=", 1)
        for item in headers.get("X-Ecoute-Signature", "").split(",")
        if "=" in item
    )
    stamp = parts.get("t", "")
    mac = hmac.new(source.signing_key.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    _compare(mac.hexdigest(), parts.get("v1", ""))
    _fresh(stamp, now)


def _compare(expected: str, given: str) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refused(_("The signature does not match."))


def _fresh(stamp: str, now: datetime) -> None:
    try:
        signed_at = parse_time(stamp)
    except ValueError:
        signed_at = None
    if signed_at is None:
        raise Refused(_("The signed time is missing or unreadable."))
    if abs(now - signed_at) > REPLAY_WINDOW:
        raise Refused(_("The signed time is more than five minutes away: a replay is refused."))


def _basic_password(header: str) -> str:
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


_CHECKS = {
    Kind.ZENDESK: _zendesk,
    Kind.CHATWOOT: _chatwoot,
    Kind.ZAMMAD: _zammad,
    Kind.FRESHDESK: _freshdesk,
    Kind.GENERIC: _generic,
}

# Where each helpdesk names its delivery; the body's digest stands in when it does not.
DELIVERY_HEADERS = {
    Kind.ZENDESK: "X-Zendesk-Webhook-Invocation-Id",
    Kind.CHATWOOT: "X-Chatwoot-Delivery",
    Kind.ZAMMAD: "X-Zammad-Delivery",
    Kind.GENERIC: "X-Ecoute-Delivery",
}
# Schemes that sign no time: a body seen before is a replay, whatever its delivery header.
UNTIMED = {Kind.ZAMMAD, Kind.FRESHDESK}


def now_utc() -> datetime:
    return datetime.now(UTC)
