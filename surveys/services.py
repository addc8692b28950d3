"""Recording what customers and agents say. Views, the API and tasks call these.

One response per invitation, whatever the clicks or concurrent requests: the invitation row is
locked (`select_for_update`) while its answer is written, and `Response.invitation` is unique, so
a racing insert that slips through (SQLite ignores the lock) turns into an update.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Agent, Contact, Customer

from . import followups, signals
from .models import (
    AgentRating,
    Invitation,
    InvitationStatus,
    LowScoreReason,
    QuestionKind,
    RepeatCause,
    RepeatCauseCode,
    Reporter,
    Resolution,
    Response,
    SkipReason,
)
from .tokens import answerable

COMMENT_MAX = 2000


class AnswerError(ValueError):
    """An answer that cannot be recorded as given (shown to the person as a 400)."""


def _locked_open_invitation(invitation: Invitation, *related: str) -> Invitation:
    # The customer's row is locked too: an opt-out committing meanwhile is waited for and seen.
    # The questionnaire's is not, or every answer to it would wait for the one before.
    locked = (
        Invitation.objects.select_for_update(of=("self", "customer"))
        .select_related("questionnaire", "customer", *related)
        .get(pk=invitation.pk)
    )
    answerable(locked, timezone.now())
    return locked


def _mark_answered(invitation: Invitation, now) -> None:
    if invitation.status != InvitationStatus.ANSWERED:
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.ANSWERED, answered_at=invitation.answered_at or now
        )


def invitation_response(invitation: Invitation) -> Response | None:
    """The invitation's answer, or None; no query when it was read with the invitation
    (`select_related("response")`)."""
    try:
        return invitation.response
    except Response.DoesNotExist:
        return None


def score_parse(raw: object, invitation: Invitation) -> int:
    """The score as an int on the invitation's scale, or AnswerError."""
    scale = invitation.questionnaire.scale
    if scale is None:
        raise AnswerError(_("This survey does not ask for a score."))
    try:
        score = int(str(raw).strip())
    except (TypeError, ValueError):
        raise AnswerError(_("Please choose a score.")) from None
    low, high = scale
    if not low <= score <= high:
        raise AnswerError(
            _("Please choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return score


@transaction.atomic
def response_record(invitation: Invitation, score: object) -> Response:
    """Record the customer's score, or change it; a repeated identical answer changes nothing."""
    # The answer already given, if any, comes with the lock (one query less per answer).
    invitation = _locked_open_invitation(invitation, "response")
    score = score_parse(score, invitation)
    low, high = invitation.questionnaire.scale
    now = timezone.now()
    response = invitation_response(invitation)
    created = False
    if response is None:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    invitation=invitation,
                    contact_id=invitation.contact_id,
                    ticket_id=invitation.ticket_id,
                    kind=invitation.questionnaire.kind,
                    score=score,
                    scale_min=low,
                    scale_max=high,
                    responded_at=now,
                )
            created = True
        except IntegrityError:
            response = Response.objects.select_for_update().get(invitation=invitation)
    if not created:
        if response.score == score:
            return response
        response.score = score
        response.responded_at = now
        response.save(update_fields=["score", "responded_at"])
    _mark_answered(invitation, now)
    followups.followup_raise_for_response(response, invitation, new=created)
    signals.response_recorded.send(sender=Response, response_id=response.pk, created=created)
    return response


@transaction.atomic
def response_details_record(
    invitation: Invitation,
    *,
    resolved: str = "",
    reason_codes: list[str] | tuple[str, ...] = (),
    comment: str = "",
) -> Response:
    """The optional follow-up answers: resolved or not, low-score reasons, an open "why?"."""
    invitation = _locked_open_invitation(invitation)
    response = Response.objects.select_for_update().filter(invitation=invitation).first()
    if response is None:
        raise AnswerError(_("Please choose a score first."))
    if resolved and resolved not in Resolution.values:
        raise AnswerError(_("Please choose yes, partly or no."))
    comment = (comment or "").strip()[:COMMENT_MAX]
    reasons = []
    if response.is_low and reason_codes:
        reasons = list(
            LowScoreReason.objects.filter(
                questionnaire_id=invitation.questionnaire_id, code__in=list(reason_codes)
            )
        )
    previous_comment = response.comment
    response.resolved = resolved
    response.comment = comment
    response.save(update_fields=["resolved", "comment"])
    response.low_score_reasons.set(reasons)
    if comment and comment != previous_comment:
        followups.followup_comment_added(response)
    signals.response_recorded.send(sender=Response, response_id=response.pk, created=False)
    return response


@transaction.atomic
def repeat_cause_record(invitation: Invitation, code: str, comment: str = "") -> RepeatCause:
    """The customer's answer to the repeat-contact question (one per invitation, changeable)."""
    invitation = _locked_open_invitation(invitation)
    if invitation.questionnaire.kind != QuestionKind.REPEAT or invitation.contact_id is None:
        raise AnswerError(_("This survey does not ask why you contacted us again."))
    if code not in RepeatCauseCode.values:
        raise AnswerError(_("Please choose a reason."))
    comment = (comment or "").strip()[:COMMENT_MAX]
    now = timezone.now()
    cause, created = _repeat_cause_upsert(
        contact_id=invitation.contact_id,
        reporter=Reporter.CUSTOMER,
        values={"code": code, "comment": comment, "answered_at": now, "invitation": invitation},
    )
    _mark_answered(invitation, now)
    if created:
        followups.followup_raise_for_repeat_cause(cause, invitation)
    return cause


def _repeat_cause_upsert(
    *, contact_id: int, reporter: str, values: dict
) -> tuple[RepeatCause, bool]:
    cause = (
        RepeatCause.objects.select_for_update()
        .filter(contact_id=contact_id, reporter=reporter)
        .first()
    )
    if cause is None:
        try:
            with transaction.atomic():
                return RepeatCause.objects.create(
                    contact_id=contact_id, reporter=reporter, **values
                ), True
        except IntegrityError:
            cause = RepeatCause.objects.select_for_update().get(
                contact_id=contact_id, reporter=reporter
            )
    for name, value in values.items():
        setattr(cause, name, value)
    cause.save(update_fields=list(values))
    return cause, False


@transaction.atomic
def customer_opt_out(customer: Customer) -> int:
    """Stop every survey to this customer at once; returns the invitations cancelled.

    Invitations not handed over yet (pending, or claimed by a worker) are cancelled and sent
    ones lose their reminder. Every later step asks `may_contact` again anyway, so an opt-out
    recorded elsewhere (the admin) or racing a worker stops everything too.
    """
    # Invitations first, then the customer: the order in which an answer locks them.
    invitations = Invitation.objects.filter(customer_id=customer.pk)
    invitations.filter(status=InvitationStatus.SENT, reminded_at__isnull=True).update(
        reminder_due_at=None
    )
    cancelled = invitations.filter(
        Q(status=InvitationStatus.PENDING)
        | Q(status=InvitationStatus.SENDING, sent_at__isnull=True)
    ).update(
        status=InvitationStatus.CANCELLED,
        skip_reason=SkipReason.OPTED_OUT,
        claim=None,
        claimed_at=None,
    )
    Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=True).update(
        opted_out_at=timezone.now()
    )
    return cancelled


class NotYourContact(PermissionError):
    """An agent tried to score a contact someone else handled."""


@transaction.atomic
def agent_rating_record(
    *,
    agent: Agent,
    contact: Contact,
    score: object,
    cause: str = "",
    comment: str = "",
) -> AgentRating:
    """The agent's own reading of a contact they handled, and on a repeat, the cause they see."""
    if contact.agent_id != agent.pk:
        raise NotYourContact(contact.external_id)
    try:
        score = int(str(score).strip())
    except (TypeError, ValueError):
        raise AnswerError(_("Please choose a score from 1 to 5.")) from None
    if not 1 <= score <= 5:
        raise AnswerError(_("Please choose a score from 1 to 5."))
    if cause and cause not in RepeatCauseCode.values:
        raise AnswerError(_("Unknown repeat-contact cause."))
    if cause and not contact.is_repeat:
        raise AnswerError(_("This contact is not a repeat contact."))
    now = timezone.now()
    comment = (comment or "").strip()[:COMMENT_MAX]
    rating, _created = AgentRating.objects.update_or_create(
        contact=contact,
        defaults={"agent": agent, "score": score, "rated_at": now, "comment": comment},
    )
    if cause:
        _repeat_cause_upsert(
            contact_id=contact.pk,
            reporter=Reporter.AGENT,
            values={"code": cause, "comment": comment, "answered_at": now},
        )  # fmt: skip
    return rating
