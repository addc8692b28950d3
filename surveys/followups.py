"""Closing the loop: a detractor or a customer's repeat cause becomes a FollowUp, and the team's
lead gets an email about it.

The alert leaves the customer's request: raising a follow-up marks its alert pending (in the
answer's transaction) and queues a task after the commit, which emails the team's lead, or
FOLLOWUP_ALERT_FALLBACK_EMAIL when the team has none. The follow-up's `alert_` columns are an
outbox row (surveys.outbox): a mail server that is down is retried with backoff and jitter, a
task that never ran (broker down) or ran out of retries is queued again by the beat's catch-up,
and the alert goes once. When nobody can be alerted, or the server refuses the address, the
follow-up says so and the follow-up list shows it. A comment the customer adds afterwards asks
for the alert again: sent as an update if the lead was alerted already.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from config.celery import queue_after_commit
from tickets.models import Contact

from .models import (
    DETRACTOR_MAX,
    AlertState,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Invitation,
    RepeatCause,
    Response,
)
from .outbox import GRACE, Columns, error_text

logger = logging.getLogger(__name__)
ALERT = Columns(
    state="alert_state", due_at="alert_due_at", attempts="alert_attempts", error="alert_error"
)
# Mail clients and filters can sort the alerts by it; the tests count them by it.
ALERT_HEADER = "X-Ecoute-Follow-Up"


def _about(invitation: Invitation) -> dict:
    return {
        "contact_id": invitation.contact_id,
        "ticket_id": invitation.ticket_id,
        "agent_id": invitation.agent_id,
        "team_id": invitation.team_id,
    }


def followup_raise_for_response(
    response: Response, invitation: Invitation, *, new: bool = False
) -> FollowUp | None:
    """A detractor score opens a follow-up (once per response) and alerts the team's lead.

    `new`: the response was created in the caller's transaction, so it has no follow-up yet:
    one INSERT instead of a lookup, a savepoint and an insert (a customer's answer waits on it).
    """
    if not response.is_detractor:
        return None
    fields = {"kind": FollowUpKind.DETRACTOR, **_about(invitation), **_alert_due()}
    if new:
        follow_up, created = FollowUp.objects.create(response=response, **fields), True
    else:
        follow_up, created = FollowUp.objects.get_or_create(response=response, defaults=fields)
    if created:
        _alert_queue(follow_up.pk)
    return follow_up


def followup_raise_for_repeat_cause(cause: RepeatCause, invitation: Invitation) -> FollowUp:
    follow_up, created = FollowUp.objects.get_or_create(
        repeat_cause=cause,
        defaults={"kind": FollowUpKind.REPEAT_CAUSE, **_about(invitation), **_alert_due()},
    )
    if created:
        _alert_queue(follow_up.pk)
    return follow_up


def followup_comment_added(response: Response) -> None:
    """The customer explained a bad score: the lead hears of it (an alert still to send will
    carry the comment; one already sent is followed by an update)."""
    follow_up = FollowUp.objects.filter(response=response).only("pk").first()
    if follow_up is not None and ALERT.request(FollowUp.objects.filter(pk=follow_up.pk)):
        _alert_queue(follow_up.pk)


def _alert_due() -> dict:
    return {"alert_state": AlertState.PENDING, "alert_due_at": timezone.now()}


def _alert_queue(follow_up_id: int) -> None:
    from .tasks import followup_alert_send

    queue_after_commit(followup_alert_send, follow_up_id)


# Imported answers younger than this still open follow-ups: a detractor of last week is worth a
# call, one of last year is history.
IMPORTED_RECENT = timedelta(days=14)


def followups_raise_for_imported(*, recent: timedelta = IMPORTED_RECENT) -> int:
    """Detractors answered recently, loaded by an import (no invitation), open follow-ups too.

    One query finds those without one; one insert opens them; each alert is queued after the
    commit, like an answer's. Returns how many were opened.
    """
    since = timezone.now() - recent
    detractor = models.Q()
    for kind, highest in DETRACTOR_MAX.items():
        detractor |= models.Q(kind=kind, score__lte=highest)
    answers = (
        Response.objects.filter(detractor, responded_at__gte=since, follow_up__isnull=True)
        .select_related("contact", "ticket__first_inbound_contact")
        .order_by("responded_at")
    )
    about = {r.pk: _contact_about(r) for r in answers}
    staffed = _last_staffed_contacts(
        {r.ticket_id for r in answers if r.ticket_id and not _staffed(about[r.pk])}
    )
    opened = []
    for response in answers:
        contact = about[response.pk]
        if not _staffed(contact) and response.ticket_id in staffed:
            # A ticket the chatbot opened goes to the team that took it over.
            contact = staffed[response.ticket_id]
        opened.append(
            FollowUp(
                kind=FollowUpKind.DETRACTOR,
                response=response,
                contact=contact,
                ticket_id=response.ticket_id or (contact.ticket_id if contact else None),
                agent_id=contact.agent_id if contact else None,
                team_id=contact.team_id if contact else None,
                **_alert_due(),
            )
        )
    created = FollowUp.objects.bulk_create(opened, batch_size=500, ignore_conflicts=True)
    for follow_up in FollowUp.objects.filter(response__in=[f.response for f in created]):
        _alert_queue(follow_up.pk)
    return len(created)


@transaction.atomic
def _contact_about(response: Response) -> Contact | None:
    if response.contact is None and response.ticket is not None:
        return response.ticket.first_inbound_contact
    return response.contact


def _staffed(contact: Contact | None) -> bool:
    return contact is not None and contact.team_id is not None


def _last_staffed_contacts(ticket_ids: set[int]) -> dict[int | None, Contact]:
    """{ticket id: its last contact a team handled}."""
    staffed: dict[int | None, Contact] = {}
    for contact in (
        Contact.objects.filter(ticket_id__in=ticket_ids, team__isnull=False)
        .order_by("started_at", "id")
        .only("id", "ticket_id", "agent_id", "team_id", "started_at")
    ):
        staffed[contact.ticket_id] = contact
    return staffed


def followup_handle(
    follow_up: FollowUp, *, user, note: str, minutes_spent: int | None = None
) -> FollowUp:
    return followup_update(
        follow_up,
        user=user,
        status=FollowUpStatus.HANDLED,
        note=note,
        minutes_spent=minutes_spent,
        assigned_to=follow_up.assigned_to,
    )


@transaction.atomic
def followup_update(
    follow_up: FollowUp,
    *,
    user,
    status: str,
    note: str,
    minutes_spent: int | None,
    assigned_to,
) -> FollowUp:
    """A team lead's work on a follow-up: who has it, where it stands, what was done, how long."""
    follow_up.status = status
    follow_up.assigned_to = assigned_to
    follow_up.note = (note or "").strip()[:2000]
    follow_up.minutes_spent = minutes_spent
    if status == FollowUpStatus.HANDLED:
        if follow_up.handled_at is None:
            follow_up.handled_at, follow_up.handled_by = timezone.now(), user
    else:
        follow_up.handled_at, follow_up.handled_by = None, None
    follow_up.save(
        update_fields=[
            "status", "assigned_to", "note", "minutes_spent", "handled_at", "handled_by",
        ]
    )  # fmt: skip
    return follow_up


def followup_alert_deliver(follow_up_id: int) -> str:
    """Send the follow-up's pending alert if this worker takes it; returns the state reached.

    Raises outbox.RetryLater when the mail server cannot be reached (recorded on the row).
    """
    rows = FollowUp.objects.filter(pk=follow_up_id)
    if not ALERT.take(rows):
        return "not taken"  # Sent already, settled, or another worker has it.
    follow_up = rows.select_related(
        "response", "repeat_cause", "ticket", "contact", "agent", "team"
    ).get()
    recipient = followup_alert_recipient(follow_up)
    if not recipient:
        ALERT.settle(rows, AlertState.NO_RECIPIENT)
        logger.warning("follow-up %s: nobody to alert (no lead's email, no fallback)", follow_up_id)
        return AlertState.NO_RECIPIENT
    try:
        followup_alert_email(follow_up, recipient).send()
    except OSError as exc:  # smtplib's errors are OSErrors too.
        if _transient(exc):
            raise ALERT.retry_later(rows, error_text(exc), follow_up.alert_attempts) from exc
        ALERT.settle(rows, AlertState.FAILED, error_text(exc))
        logger.error("follow-up %s: the mail server refused the alert: %s", follow_up_id, exc)
        return AlertState.FAILED
    ALERT.settle(rows, AlertState.SENT, alerted_at=timezone.now())
    logger.info("follow-up %s: alert sent to %s", follow_up_id, recipient)
    return AlertState.SENT


def followup_alert_recipient(follow_up: FollowUp) -> str:
    """The team's lead, or FOLLOWUP_ALERT_FALLBACK_EMAIL when the team has none; may be ''."""
    lead = follow_up.team.lead_email if follow_up.team else ""
    return lead or settings.FOLLOWUP_ALERT_FALLBACK_EMAIL


def _transient(exc: OSError) -> bool:
    """Unreachable, timed out, or a 4xx answer: try again later. A 5xx or a refused address
    will not get better by retrying."""
    code = getattr(exc, "smtp_code", None)
    if code is not None:
        return 400 <= code < 500
    return isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
        exc, smtplib.SMTPException
    )


def followup_alert_email(follow_up: FollowUp, recipient: str) -> EmailMultiAlternatives:
    """The lead's email: the score or cause, the comment, the ticket; an update once alerted."""
    # Leads read the service's language; customers' languages vary.
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "follow_up": follow_up,
            "response": follow_up.response,
            "cause": follow_up.repeat_cause,
            "update": follow_up.alerted_at is not None,
            "list_url": settings.SITE_URL + reverse("surveys_staff:followups"),
        }
        subject = render_to_string("surveys/emails/followup_alert_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("surveys/emails/followup_alert.txt", context),
            to=[recipient],
            headers={ALERT_HEADER: str(follow_up.pk)},
        )
        message.attach_alternative(
            render_to_string("surveys/emails/followup_alert.html", context), "text/html"
        )
    return message


def followup_alerts_overdue(*, grace: timedelta = GRACE) -> list[int]:
    """The catch-up: pending alerts whose task never came; returns their ids, claimed."""
    return ALERT.overdue(FollowUp.objects.all(), grace=grace)
