"""Survey links posted into Chatwoot conversations: the chat backend surveys reads from
CHAT_BACKEND (`connectors.delivery.ChatwootBackend`).

It claims the link invitations whose ticket came from an active Chatwoot source that has an
address, an account and an API token (the ticket's id is the source's prefix and the
conversation's id), and posts each link as a public outgoing message of that conversation
(`POST /api/v1/accounts/<account>/conversations/<id>/messages`, header `api_access_token`).
"""

import httpx
from django.conf import settings
from django.db.models import Q, QuerySet

from surveys.delivery.chat import BaseChatBackend, ChatMessage, ChatResult, ChatUnavailable

from .models import Kind, Source


def _chatwoot_sources() -> list[Source]:
    return list(
        Source.objects.filter(kind=Kind.CHATWOOT, is_active=True)
        .exclude(base_url="")
        .exclude(account="")
        .filter(api_token__isnull=False)
    )


class ChatwootBackend(BaseChatBackend):
    def __init__(self) -> None:
        self.client: httpx.Client | None = None
        self.sources: list[Source] = []

    def claimable(self, invitations: QuerySet) -> QuerySet:
        prefixes = [s.id_prefix for s in _chatwoot_sources()]
        if not prefixes:
            return invitations.none()
        ours = Q()
        for prefix in prefixes:
            ours |= Q(ticket__external_id__startswith=prefix)
        return invitations.filter(ours)

    def open(self) -> None:
        self.sources = _chatwoot_sources()
        if self.client is None:
            self.client = httpx.Client(timeout=settings.CONNECTORS_HTTP_TIMEOUT)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send_messages(self, messages: list[ChatMessage]) -> list[ChatResult]:
        own = self.client is None
        self.open()
        try:
            return [self._send(message) for message in messages]
        finally:
            if own:
                self.close()

    def _send(self, message: ChatMessage) -> ChatResult:
        assert self.client is not None
        source = next((s for s in self.sources if message.ticket.startswith(s.id_prefix)), None)
        if source is None:
            return ChatResult(message, error="no active Chatwoot source for this ticket")
        conversation = message.ticket.removeprefix(source.id_prefix)
        url = (
            f"{source.base_url.rstrip('/')}/api/v1/accounts/{source.account}"
            f"/conversations/{conversation}/messages"
        )
        body = {"content": message.body, "message_type": "outgoing", "private": False}
        try:
            response = self.client.post(
                url, json=body, headers={"api_access_token": source.api_token}
            )
        except httpx.TransportError as exc:
            raise ChatUnavailable(f"Chatwoot unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise ChatUnavailable(f"Chatwoot answered {response.status_code}")
        if response.status_code >= 400:
            return ChatResult(message, error=f"Chatwoot refused ({response.status_code})")
        try:
            posted = response.json()
        except ValueError:
            posted = {}
        return ChatResult(message, provider_id=str(posted.get("id", "")))
