"""Posting survey links into the helpdesk's own chat: a small backend interface, as for SMS.

For a policy whose delivery is "link", the helpdesk may fetch the link itself (the API), or a
chat backend named by CHAT_BACKEND posts it into the conversation the ticket came from (the
Chatwoot connector has one). Surveys only reads the setting: it never imports the backend's
app. A backend says which link invitations it can post (`claimable`: those whose ticket came
through its helpdesk); those are then claimed and sent by the workers exactly as emails are,
with the same never-twice stamps.

`send_messages` returns one ChatResult per message, in order; it raises ChatUnavailable (a
ConnectionError, retried with backoff) when the helpdesk cannot be reached or answers 429/5xx.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db.models import QuerySet
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ChatMessage:
    # The ticket's id as the history knows it: the backend finds the conversation from it.
    ticket: str
    body: str
    url: str
    reference: str = ""


@dataclass(frozen=True)
class ChatResult:
    message: ChatMessage
    provider_id: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class ChatUnavailable(ConnectionError):
    """The helpdesk could not take the message now (transport error, 5xx, 429)."""


class BaseChatBackend:
    def claimable(self, invitations: QuerySet) -> QuerySet:
        """The link invitations this backend can post (none by default)."""
        return invitations.none()

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[ChatMessage]) -> list[ChatResult]:
        raise NotImplementedError


def get_backend(path: str | None = None) -> BaseChatBackend | None:
    path = path if path is not None else settings.CHAT_BACKEND
    return _backend_class(path)() if path else None


@cache
def _backend_class(path: str) -> type[BaseChatBackend]:
    return import_string(path)
