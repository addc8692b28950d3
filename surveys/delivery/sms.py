"""Sending SMS: a small backend interface, like Django's email backends.

A backend takes a list of `SmsMessage` and returns one `SmsResult` per message, in order: the
provider's id, or the provider's refusal for that message. It raises `SmsUnavailable` when the
provider cannot be reached or answers with a server error, so that the caller retries later
rather than recording a refusal. `SMS_BACKEND` names the class; the default only logs.
"""

import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    # Ours, for logs and the provider's callbacks: "invitation-42".
    reference: str = ""


@dataclass(frozen=True)
class SmsResult:
    message: SmsMessage
    provider_id: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class SmsUnavailable(ConnectionError):
    """The provider could not take the messages now (transport error, 5xx, 429)."""


class BaseSmsBackend:
    def open(self) -> None:
        """Set up a connection reused by every send until close()."""

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[SmsMessage]) -> list[SmsResult]:
        raise NotImplementedError

    def __enter__(self) -> "BaseSmsBackend":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LoggingBackend(BaseSmsBackend):
    """Writes each message to the log: the default, so nothing leaves a demo by surprise."""

    def send_messages(self, messages: list[SmsMessage]) -> list[SmsResult]:
        for message in messages:
            logger.info("SMS to %s (%s): %s", message.to, message.reference, message.body)
        return [SmsResult(message, provider_id=f"logged-{m.reference}") for m in messages]


class MemoryBackend(BaseSmsBackend):
    """Keeps messages in `MemoryBackend.outbox`, for tests."""

    outbox: list[SmsMessage] = []

    def send_messages(self, messages: list[SmsMessage]) -> list[SmsResult]:
        MemoryBackend.outbox.extend(messages)
        return [SmsResult(m, provider_id=f"memory-{len(self.outbox)}") for m in messages]


class HttpBackend(BaseSmsBackend):
    """A Twilio-style REST API: one form POST per message to the account's Messages URL.

    `SMS_API_URL` may contain `{account}`, replaced by `SMS_ACCOUNT_SID`; the request is
    authenticated with HTTP basic auth (account id, auth token). A 2xx answer carries the
    message id (`sid`); a 4xx is the provider refusing this message; anything else is
    `SmsUnavailable`.
    """

    def __init__(self) -> None:
        self.url = settings.SMS_API_URL.format(account=settings.SMS_ACCOUNT_SID)
        self.auth = (settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN)
        self.sender = settings.SMS_FROM
        self.client: httpx.Client | None = None

    def open(self) -> None:
        if self.client is None:
            self.client = httpx.Client(auth=self.auth, timeout=settings.SMS_TIMEOUT_SECONDS)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send_messages(self, messages: list[SmsMessage]) -> list[SmsResult]:
        own_client = self.client is None
        self.open()
        try:
            return [self._send(message) for message in messages]
        finally:
            if own_client:
                self.close()

    def _send(self, message: SmsMessage) -> SmsResult:
        assert self.client is not None
        form = {"To": message.to, "From": self.sender, "Body": message.body}
        try:
            response = self.client.post(self.url, data=form)
        except httpx.TransportError as exc:
            raise SmsUnavailable(f"SMS provider unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsUnavailable(f"SMS provider answered {response.status_code}")
        if response.status_code >= 400:
            return SmsResult(message, error=_error_text(response))
        return SmsResult(message, provider_id=str(_json(response).get("sid", "")))


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_text(response: httpx.Response) -> str:
    data = _json(response)
    detail = data.get("message") or data.get("code") or response.text[:200]
    return f"SMS provider refused the message ({response.status_code}): {detail}"


def get_backend(path: str | None = None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()
