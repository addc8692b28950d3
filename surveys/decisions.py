"""Who is asked, with which questionnaire, and when (DESIGN.md, "Data flow", step 2).

`tickets` announces a batch of contacts or tickets (tickets.signals); the functions here run in
that same transaction and write one Invitation row per decision: `pending` with its due time, or
`skipped` with the reason, so a manager can see why coverage is what it is. Nothing is sent
here; Celery picks pending rows later.

The rules, in order, for each trigger that an active policy covers (the lowest position wins
when several do; at equal positions the repeat-contact question wins, `policies_in_order`):

1. opted out, marked "do not survey", agent-initiated (unless the policy includes outbound),
   abandoned, no address for the delivery channel: skipped;
2. throttled: the customer was asked (pending, sent, answered or expired) within the policy's
   `throttle_days`, counted across all policies, or the ticket already has an open invitation;
3. sampled out: a deterministic draw from the policy and the trigger, so a replay decides the same;
4. otherwise pending, due `delay_minutes` after the trigger, pushed out of the quiet hours in the
   customer's time zone.

A trigger older than its policy's delay plus expiry (history pushed late through the API) is not
decided at all: it is too late to ask. History imported in bulk (`source="import"`) is never
surveyed and costs nothing here.

One survey per ticket episode: a new inbound contact from the customer cancels their pending
invitations about earlier contacts (`recontacted`); a reopened ticket cancels its pending one
(`reopened`).

Every step works on the whole batch with a fixed number of queries.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from tickets.models import Contact, Customer, Direction, Team, Ticket

from .models import (
    Delivery,
    Invitation,
    InvitationStatus,
    SendingPolicy,
    SkipReason,
    Trigger,
)

# Sources that carry history, not live events: never surveyed.
HISTORY_SOURCES = {"import"}
# Statuses that count as "the customer was asked" for the throttle.
ASKED = [
    InvitationStatus.PENDING,
    InvitationStatus.SENDING,
    InvitationStatus.SENT,
    InvitationStatus.ANSWERED,
    InvitationStatus.EXPIRED,
]
# Statuses of an invitation still under way: at most one per ticket (a database constraint).
OPEN = [InvitationStatus.PENDING, InvitationStatus.SENDING, InvitationStatus.SENT]

_CONTACT_FIELDS = [
    "id", "ticket_id", "customer_id", "channel", "reason", "agent_id", "team_id", "direction",
    "started_at", "answered_at", "ended_at", "do_not_survey", "is_repeat",
]  # fmt: skip


@dataclass
class Candidate:
    """A trigger covered by a policy, before the rules say whether to ask."""

    policy: SendingPolicy
    customer: Customer
    at: datetime
    sample_key: str
    contact: Contact | None = None
    ticket_id: int | None = None
    channel: str = ""
    agent_id: int | None = None
    team_id: int | None = None
    do_not_survey: bool = False
    outbound: bool = False
    abandoned: bool = False
    # A newer inbound contact from the same customer arrived in the same batch.
    superseded: bool = False


# --- Entry points (called by surveys.receivers) ---------------------------------------------


def invitations_decide_for_contacts(
    created: Iterable[int], updated: Iterable[int], *, now: datetime | None = None
) -> list[Invitation]:
    """Decide surveys for a batch of recorded contacts; cancel what a new contact supersedes."""
    now = now or timezone.now()
    created, updated = list(created), list(updated)
    if created:
        _cancel_superseded_by(created)
    policies = _active_policies([Trigger.CONTACT_HANDLED, Trigger.REPEAT_CONTACT])
    if not policies:
        return []
    contacts = list(
        Contact.objects.filter(pk__in=created + updated)
        .select_related("customer")
        .only(*_CONTACT_FIELDS, *_customer_fields())
    )
    # An updated contact is decided once, when it first qualifies (e.g. once answered).
    decided = set()
    if updated:
        decided = set(
            Invitation.objects.filter(contact_id__in=updated).values_list("contact_id", flat=True)
        )
    latest_inbound: dict[int, datetime] = {}
    created_set = set(created)
    for contact in contacts:
        if contact.pk in created_set and contact.direction == Direction.INBOUND:
            seen = latest_inbound.get(contact.customer_id)
            if seen is None or contact.started_at > seen:
                latest_inbound[contact.customer_id] = contact.started_at

    candidates = []
    for contact in contacts:
        if contact.pk in decided or not _is_decidable(contact):
            continue
        triggers = {Trigger.CONTACT_HANDLED}
        if contact.is_repeat:
            triggers.add(Trigger.REPEAT_CONTACT)
        policy = _first_covering(
            policies, triggers, contact.channel, contact.team_id, contact.reason
        )
        if policy is None:
            continue
        newer = latest_inbound.get(contact.customer_id)
        candidates.append(
            Candidate(
                policy=policy,
                customer=contact.customer,
                at=contact.ended_at or contact.answered_at or contact.started_at,
                sample_key=f"contact:{contact.pk}",
                contact=contact,
                ticket_id=contact.ticket_id,
                channel=contact.channel,
                agent_id=contact.agent_id,
                team_id=contact.team_id,
                do_not_survey=contact.do_not_survey,
                outbound=contact.direction == Direction.OUTBOUND,
                abandoned=contact.is_abandoned,
                superseded=newer is not None and newer > contact.started_at,
            )
        )
    return _decide(candidates, now)


def invitations_decide_for_tickets(
    ticket_ids: Iterable[int], *, now: datetime | None = None
) -> list[Invitation]:
    """Decide surveys for tickets that were just solved."""
    now = now or timezone.now()
    ticket_ids = list(ticket_ids)
    policies = _active_policies([Trigger.TICKET_SOLVED])
    if not policies or not ticket_ids:
        return []
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids, solved_at__isnull=False)
        .select_related("customer")
        .only("id", "reason", "solved_at", "customer_id", *_customer_fields())
    )
    contacts_of: dict[int, list[Contact]] = defaultdict(list)
    for contact in (
        Contact.objects.filter(ticket_id__in=[t.pk for t in tickets])
        .only(*_CONTACT_FIELDS)
        .order_by("started_at", "id")
    ):
        contacts_of[contact.ticket_id].append(contact)

    candidates = []
    for ticket in tickets:
        contacts = contacts_of[ticket.pk]
        handled = [c for c in contacts if not c.is_abandoned]
        # The contact the survey is about: the last one that reached someone.
        reference = handled[-1] if handled else None
        channel = reference.channel if reference else ""
        team_id = reference.team_id if reference else None
        policy = _first_covering(policies, {Trigger.TICKET_SOLVED}, channel, team_id, ticket.reason)
        if policy is None:
            continue
        candidates.append(
            Candidate(
                policy=policy,
                customer=ticket.customer,
                at=ticket.solved_at,
                sample_key=f"ticket:{ticket.pk}:{ticket.solved_at.isoformat()}",
                contact=reference,
                ticket_id=ticket.pk,
                channel=channel,
                agent_id=reference.agent_id if reference else None,
                team_id=team_id,
                do_not_survey=any(c.do_not_survey for c in contacts),
                outbound=bool(contacts) and not any(c.is_inbound for c in contacts),
                abandoned=bool(contacts) and not handled,
            )
        )
    return _decide(candidates, now)


def invitations_cancel_for_reopened(ticket_ids: Iterable[int]) -> int:
    """A reopened ticket starts a new episode: its pending survey would ask too early."""
    return Invitation.objects.filter(
        ticket_id__in=list(ticket_ids), status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.CANCELLED, skip_reason=SkipReason.REOPENED)


# --- The rules ------------------------------------------------------------------------------


def _decide(candidates: list[Candidate], now: datetime) -> list[Invitation]:
    candidates = [c for c in candidates if not _too_late(c, now)]
    if not candidates:
        return []
    last_asked, open_tickets = _asked_state(candidates, now)
    invitations = []
    for candidate in sorted(candidates, key=lambda c: c.at):
        policy, customer = candidate.policy, candidate.customer
        send_after = quiet_hours_push(
            candidate.at + timedelta(minutes=policy.delay_minutes),
            customer_zone(customer.timezone),
            policy.quiet_start,
            policy.quiet_end,
        )
        skip = _skip_reason(candidate, send_after, last_asked, open_tickets)
        status = InvitationStatus.SKIPPED if skip else InvitationStatus.PENDING
        if skip is None and candidate.superseded:
            status, skip = InvitationStatus.CANCELLED, SkipReason.RECONTACTED
        invitation = Invitation(
            policy=policy,
            questionnaire_id=policy.questionnaire_id,
            customer=customer,
            contact=candidate.contact,
            ticket_id=candidate.ticket_id,
            agent_id=candidate.agent_id,
            team_id=candidate.team_id,
            channel=candidate.channel,
            delivery=policy.delivery,
            language=customer_language(customer),
            status=status,
            skip_reason=skip or "",
            send_after=send_after,
        )
        if status == InvitationStatus.PENDING:
            invitation.expires_at = send_after + timedelta(days=policy.expire_after_days)
            if policy.reminder_after_days:
                invitation.reminder_due_at = send_after + timedelta(days=policy.reminder_after_days)
            last_asked[customer.pk].append(send_after)
            if candidate.ticket_id:
                open_tickets.add(candidate.ticket_id)
        invitations.append(invitation)
    # A concurrent batch may have opened a survey for the same ticket since we looked: the
    # database constraint keeps the first and this one is dropped, rather than failing the
    # history upsert that triggered it.
    Invitation.objects.bulk_create(invitations, batch_size=500, ignore_conflicts=True)
    return invitations


def _skip_reason(
    candidate: Candidate,
    send_after: datetime,
    last_asked: dict[int, list[datetime]],
    open_tickets: set[int],
) -> str | None:
    policy, customer = candidate.policy, candidate.customer
    if not customer.may_contact:
        return SkipReason.OPTED_OUT
    if candidate.do_not_survey:
        return SkipReason.DO_NOT_SURVEY
    if candidate.outbound and not policy.include_outbound:
        return SkipReason.OUTBOUND
    if candidate.abandoned:
        return SkipReason.ABANDONED
    if not has_address(customer, policy.delivery):
        return SkipReason.NO_ADDRESS
    window = timedelta(days=policy.throttle_days)
    if candidate.ticket_id in open_tickets or any(
        abs(send_after - asked) < window for asked in last_asked.get(customer.pk, ())
    ):
        return SkipReason.THROTTLED
    if not sampled_in(policy.pk, candidate.sample_key, policy.sampling_rate):
        return SkipReason.SAMPLED_OUT
    return None


def _asked_state(
    candidates: list[Candidate], now: datetime
) -> tuple[dict[int, list[datetime]], set[int]]:
    """When each customer concerned was last asked, and which tickets have an open survey."""
    horizon_days = max(c.policy.throttle_days for c in candidates)
    earliest = min(c.at for c in candidates)
    horizon = min(earliest, now) - timedelta(days=horizon_days)
    customer_ids = {c.customer.pk for c in candidates}
    ticket_ids = {c.ticket_id for c in candidates if c.ticket_id}
    rows = Invitation.objects.filter(
        Q(customer_id__in=customer_ids) | Q(ticket_id__in=ticket_ids),
        Q(status__in=OPEN) | Q(status__in=ASKED, send_after__gte=horizon),
    ).values_list("customer_id", "ticket_id", "status", "send_after")
    last_asked: dict[int, list[datetime]] = defaultdict(list)
    open_tickets: set[int] = set()
    for customer_id, ticket_id, status, send_after in rows:
        last_asked[customer_id].append(send_after)
        if ticket_id and status in OPEN:
            open_tickets.add(ticket_id)
    return last_asked, open_tickets


def _cancel_superseded_by(created: list[int]) -> int:
    """Cancel pending invitations about earlier contacts of customers who just came back."""
    inbound = Contact.objects.filter(pk__in=created, direction=Direction.INBOUND)
    newer = inbound.filter(
        customer_id=OuterRef("customer_id"), started_at__gt=OuterRef("contact__started_at")
    )
    return (
        # Narrowed by customer first, so that the index on (customer, created_at) does the work
        # however many invitations are pending elsewhere.
        Invitation.objects.filter(
            customer_id__in=inbound.values("customer_id"),
            status=InvitationStatus.PENDING,
            contact__isnull=False,
        )
        .filter(Exists(newer))
        .update(status=InvitationStatus.CANCELLED, skip_reason=SkipReason.RECONTACTED)
    )


def _too_late(candidate: Candidate, now: datetime) -> bool:
    policy = candidate.policy
    last_useful = candidate.at + timedelta(
        minutes=policy.delay_minutes, days=policy.expire_after_days
    )
    return last_useful < now


def _is_decidable(contact: Contact) -> bool:
    """Handled (answered), abandoned or outbound: anything else is still waiting for an agent."""
    return (
        contact.answered_at is not None
        or contact.is_abandoned
        or contact.direction == Direction.OUTBOUND
    )


def _active_policies(triggers: list[str]) -> list[SendingPolicy]:
    return policies_in_order(
        SendingPolicy.objects.filter(is_active=True, trigger__in=triggers)
        .select_related("questionnaire")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.only("id")))
        .filter(questionnaire__is_active=True)
    )


def policies_in_order(policies: Iterable[SendingPolicy]) -> list[SendingPolicy]:
    """The order policies are tried in: lowest position first; at equal positions the repeat
    question before the others, so that a new contact policy left at the default position does
    not take the repeat contacts' question away; then by name. A manager who wants another
    policy to win over the repeat question gives it a lower position."""
    return sorted(
        policies,
        key=lambda p: (p.position, p.trigger != Trigger.REPEAT_CONTACT, p.name),
    )


def _first_covering(
    policies: list[SendingPolicy],
    triggers: set[str],
    channel: str,
    team_id: int | None,
    reason: str,
) -> SendingPolicy | None:
    for policy in policies:
        if policy.trigger not in triggers:
            continue
        if policy.channels and channel not in policy.channels:
            continue
        if policy.reasons and reason not in policy.reasons:
            continue
        teams = {t.pk for t in policy.teams.all()}
        if teams and team_id not in teams:
            continue
        return policy
    return None


def _customer_fields() -> list[str]:
    return [
        f"customer__{f}" for f in ("id", "email", "phone", "language", "timezone", "opted_out_at")
    ]


# --- Small pure helpers (tested on their own) -----------------------------------------------


def has_address(customer: Customer, delivery: str) -> bool:
    if delivery == Delivery.EMAIL:
        return bool(customer.email)
    if delivery == Delivery.SMS:
        return bool(customer.phone)
    return True


def customer_language(customer: Customer) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    language = (customer.language or "").lower()[:2]
    return language if language in languages else settings.LANGUAGE_CODE


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_zone(name: str) -> ZoneInfo:
    """The customer's zone, or the configured one when unknown or invalid."""
    return (name and _zone(name)) or ZoneInfo(settings.TIME_ZONE)


def quiet_hours_push(when: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`when`, or the end of the quiet hours it falls in, in the customer's local time.

    Computed on the local calendar, so a DST change between the two is taken into account. A
    quiet end that does not exist that day (in the spring gap) lands just after the gap.
    """
    if start == end:
        return when
    local = when.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:
        quiet = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return when
    pushed = datetime.combine(end_day, end, tzinfo=zone)
    # Round-trip through UTC to normalise a wall time that falls in a DST gap.
    return pushed.astimezone(UTC)


def sampled_in(policy_id: int, key: str, rate: Decimal | float) -> bool:
    """A deterministic draw in [0, 1) from the policy and the trigger, compared with the rate."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{policy_id}:{key}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    return draw < float(rate)
