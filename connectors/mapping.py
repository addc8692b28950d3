"""What a helpdesk's body becomes before it reaches tickets' services.

Each helpdesk module turns one body into a `Mapped`: tickets and contacts shaped exactly like the
REST API's items (the same fields, checked later by the same serializers), agents' replies that
mark contacts answered, satisfaction ratings to import as survey answers, and agents' state
changes (presence) to import as agent_states.csv rows. A `Mapper` carries
the source's configuration: its id prefix and the admin's mappings of groups, agents, channels,
reasons and priorities.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from .models import Mapping, MappingKind, Source
from .values import text_id


class Unmappable(Exception):
    """The body cannot be mapped as the source is configured; the message says why."""


class NotYet(Exception):
    """The body names something not received yet (a ticket): try again later."""


@dataclass
class Reply:
    """An agent answered the ticket at `at`: its inbound contacts started before are answered."""

    ticket_id: str
    at: datetime
    agent_id: str | None = None


@dataclass
class Rating:
    """A satisfaction answer given in the helpdesk, imported as a CSAT response."""

    response_id: str
    ticket_id: str
    score: int
    responded_at: datetime
    comment: str = ""


@dataclass
class StateChange:
    """An agent went into `state` at `started_at` (Ecoute's state codes, see agent_states.csv).
    No end: the state runs until the agent's next one."""

    agent_id: str
    state: str
    started_at: datetime
    ended_at: datetime | None = None


@dataclass
class Mapped:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    # Contacts as the API takes them; "reason" and "customer_id" may be None: the ticket's.
    contacts: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)
    # When the helpdesk says this happened: bodies of a batch are applied in this order.
    at: datetime | None = None
    # Why nothing is recorded (an event Ecoute has no use for).
    note: str = ""
    # Parts of the body left out (the rest is recorded), shown with the body in the admin.
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tickets or self.contacts or self.replies or self.ratings or self.states)


class Mapper:
    """A source's ids and mappings, read once per batch."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.prefix = source.id_prefix
        self.table: dict[tuple[str, str], str] = {
            (kind, remote.casefold()): value
            for kind, remote, value in Mapping.objects.filter(source=source).values_list(
                "kind", "remote", "value"
            )
        }

    def ours(self, remote: Any) -> str:
        """The prefixed id of a helpdesk id ("" when there is none)."""
        remote = text_id(remote)
        return f"{self.prefix}{remote}" if remote else ""

    def mapped(self, kind: str, *remotes: Any) -> str | None:
        if not self.table:  # nothing configured: every body of the batch asks
            return None
        for remote in remotes:
            value = self.table.get((kind, text_id(remote).casefold()))
            if value:
                return value
        return None

    def agent(self, remote: Any, *names: Any) -> str | None:
        return self.mapped(MappingKind.AGENT, remote, *names) or self.ours(remote) or None

    def team(self, remote: Any, *names: Any) -> str | None:
        return self.mapped(MappingKind.TEAM, remote, *names) or self.ours(remote) or None

    def channel(self, defaults: dict[str, str], *remotes: Any) -> str:
        """The channel of the first remote value mapped in the admin, else by default."""
        return self._mapped_or_default(
            MappingKind.CHANNEL,
            defaults,
            remotes,
            _("The channel “%(value)s” has no mapping: add one to the source's channels."),
        )

    def _mapped_or_default(
        self, kind: str, defaults: dict[str, str], remotes: tuple[Any, ...], missing: str
    ) -> str:
        """The first remote value mapped in the admin, else the first a default names; else
        Unmappable with `missing`, naming the values."""
        found = self.mapped(kind, *remotes)
        if found:
            return found
        for remote in remotes:
            default = defaults.get(text_id(remote).casefold())
            if default:
                return default
        shown = ", ".join(text_id(r) for r in remotes if text_id(r)) or "?"
        raise Unmappable(missing % {"value": shown})

    def reason(self, candidates: list[Any]) -> str:
        """The first candidate (tags, type, labels...) mapped to a reason, else the default."""
        found = self.mapped(MappingKind.REASON, *candidates)
        if found:
            return found
        if self.source.default_reason:
            return self.source.default_reason
        shown = ", ".join(text_id(c) for c in candidates if text_id(c)) or "-"
        raise Unmappable(
            _("No reason mapping matches (%(values)s) and the source has no default reason.")
            % {"values": shown}
        )

    def state(self, defaults: dict[str, str], *remotes: Any) -> str:
        """The agent state of the first remote status mapped in the admin, else by default."""
        return self._mapped_or_default(
            MappingKind.STATE,
            defaults,
            remotes,
            _("The agent status “%(value)s” has no mapping: add one to the source's agent states."),
        )

    def priority(self, defaults: dict[str, str], remote: Any) -> str:
        found = self.mapped(MappingKind.PRIORITY, remote)
        return found or defaults.get(text_id(remote).casefold(), "normal")


def required(value: Any, what: str) -> Any:
    if value is None or value == "":
        raise Unmappable(_("The body has no %(what)s.") % {"what": what})
    return value
