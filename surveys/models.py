"""What customers and agents said: survey answers, agents' own readings, repeat-contact causes.

Answers keep their raw score and the scale it was given on, never only a normalised value.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tickets.models import Agent, Contact, Ticket, unique_external_id


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS (0-10)")
    CSAT = "csat", _("CSAT (1-5)")
    CES = "ces", _("CES (1-7)")


# The scale each kind is asked on: (lowest, highest).
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


# Highest score that raises a detractor alert (DESIGN.md: NPS 0-6, CSAT 1-2, CES 1-3).
DETRACTOR_MAX: dict[str, int] = {SurveyKind.NPS: 6, SurveyKind.CSAT: 2, SurveyKind.CES: 3}
# Highest score after which the customer is offered the low-score reasons: wider than the
# detractors, since a lukewarm answer's "why" is worth as much as an angry one's.
LOW_SCORE_MAX: dict[str, int] = {SurveyKind.NPS: 6, SurveyKind.CSAT: 3, SurveyKind.CES: 4}


def is_detractor(kind: str, score: int) -> bool:
    return kind in DETRACTOR_MAX and score <= DETRACTOR_MAX[kind]


def is_low(kind: str, score: int) -> bool:
    return kind in LOW_SCORE_MAX and score <= LOW_SCORE_MAX[kind]


class Resolution(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class RepeatCauseCode(models.TextChoices):
    NOT_TAKEN_INTO_ACCOUNT = "not_taken_into_account", _("My request was not taken into account")
    ANSWER_RAISED_NEW_QUESTIONS = (
        "answer_raised_new_questions",
        _("The answer raised new questions"),
    )
    WRONG_DEPARTMENT = "wrong_department", _("I was sent to the wrong department")
    UNCLEAR_ANSWER = "unclear_answer", _("The answer was unclear")
    OTHER = "other", _("Other")


class Reporter(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")


class Response(models.Model):
    """A customer's answer to one score question about one contact."""

    external_id = models.CharField(
        _("external id"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("Id in a previous survey tool, for migrated history."),
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    scale_min = models.SmallIntegerField(_("lowest score of the scale"))
    scale_max = models.SmallIntegerField(_("highest score of the scale"))
    responded_at = models.DateTimeField(_("responded at"))
    comment = models.TextField(_("comment"), blank=True)
    resolved = models.CharField(
        _("request resolved, as the customer says"),
        max_length=8,
        choices=Resolution.choices,
        blank=True,
    )
    # One response per invitation, whatever the clicks: the database says so, not luck.
    invitation = models.OneToOneField(
        "Invitation",
        verbose_name=_("invitation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    low_score_reasons = models.ManyToManyField(
        "LowScoreReason", verbose_name=_("low-score reasons"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["kind", "responded_at"]),
            # The latest answers of a period whatever their kind (the comments, the lists).
            models.Index(fields=["responded_at"], name="response_responded_at"),
        ]
        constraints = [
            unique_external_id(),
            models.CheckConstraint(
                condition=models.Q(score__gte=models.F("scale_min"))
                & models.Q(score__lte=models.F("scale_max")),
                name="response_score_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"

    @property
    def is_detractor(self) -> bool:
        return is_detractor(self.kind, self.score)

    @property
    def is_low(self) -> bool:
        return is_low(self.kind, self.score)


class AgentRating(models.Model):
    """An agent's own reading of how satisfied the customer was, 1 to 5."""

    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="agent_rating"
    )
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.CASCADE)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("agent rating")
        verbose_name_plural = _("agent ratings")
        # The ratings of a few days (a rollup rebuilt after an import, a scanned period): read
        # by day, not by reading all of them.
        indexes = [models.Index(fields=["rated_at"], name="agentrating_rated_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1) & models.Q(score__lte=5),
                name="agent_rating_score_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.score}"


class RepeatCause(models.Model):
    """Why a customer had to come back, as the customer or the agent reports it."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="repeat_causes"
    )
    reporter = models.CharField(
        _("reported by"), max_length=8, choices=Reporter.choices, default=Reporter.CUSTOMER
    )
    code = models.CharField(_("cause"), max_length=32, choices=RepeatCauseCode.choices)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    invitation = models.OneToOneField(
        "Invitation",
        verbose_name=_("invitation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeat_cause",
    )

    class Meta:
        verbose_name = _("repeat-contact cause")
        verbose_name_plural = _("repeat-contact causes")
        # As the ratings': the causes of a few days.
        indexes = [models.Index(fields=["answered_at"], name="repeatcause_answered_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "reporter"], name="one_repeat_cause_per_reporter"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class QuestionKind(models.TextChoices):
    NPS = "nps", _("NPS (0-10)")
    CSAT = "csat", _("CSAT (1-5)")
    CES = "ces", _("CES (1-7)")
    REPEAT = "repeat", _("Repeat-contact cause")


class Questionnaire(models.Model):
    """One question (with its scale) and the follow-ups a customer is asked, in FR and EN."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    question_fr = models.TextField(
        _("question (French)"),
        help_text=_("For the repeat question, {reason} stands for the contact reason."),
    )
    question_en = models.TextField(_("question (English)"))
    ask_resolved = models.BooleanField(_("ask whether the request was resolved"), default=True)
    ask_low_score_reasons = models.BooleanField(_("ask the reasons of a low score"), default=True)
    ask_comment = models.BooleanField(_('offer an open "why?"'), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.kind)

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_fr


class LowScoreReason(models.Model):
    """A reason a customer may tick after a low score; editable and translated."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="low_score_reasons",
    )
    code = models.SlugField(_("code"), max_length=40)
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("low-score reason")
        verbose_name_plural = _("low-score reasons")
        ordering = ["questionnaire", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="low_score_reason_code"),
        ]

    def __str__(self) -> str:
        return self.code

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_fr


class Trigger(models.TextChoices):
    CONTACT_HANDLED = "contact_handled", _("Contact handled")
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    REPEAT_CONTACT = "repeat_contact", _("Repeat contact")


class Delivery(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINK = "link", _("Link (fetched by the helpdesk)")


class SendingPolicy(models.Model):
    """When to ask whom, with which questionnaire, through which channel."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # Nothing is asked of customers until a manager has read the policy and switched it on.
    is_active = models.BooleanField(_("active"), default=False)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    # Empty lists mean "all".
    channels = models.JSONField(_("contact channels"), default=list, blank=True)
    reasons = models.JSONField(_("contact reasons"), default=list, blank=True)
    teams = models.ManyToManyField("tickets.Team", verbose_name=_("teams"), blank=True)
    include_outbound = models.BooleanField(
        _("survey agent-initiated (outbound) contacts"), default=False
    )
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT
    )
    delay_minutes = models.PositiveIntegerField(_("delay after the trigger (minutes)"), default=60)
    sampling_rate = models.DecimalField(
        _("sampling rate"),
        max_digits=4,
        decimal_places=3,
        default=1,
        help_text=_("Share of eligible customers asked, from 0 to 1."),
    )
    throttle_days = models.PositiveIntegerField(
        _("ask a customer at most once every (days)"),
        default=30,
        help_text=_("Counted across all policies."),
    )
    quiet_start = models.TimeField(_("quiet hours start"), default="21:00")
    quiet_end = models.TimeField(_("quiet hours end"), default="08:00")
    delivery = models.CharField(
        _("delivery"), max_length=8, choices=Delivery.choices, default=Delivery.EMAIL
    )
    reminder_after_days = models.PositiveIntegerField(
        _("remind after (days)"),
        null=True,
        blank=True,
        default=3,
        help_text=_("Empty: no reminder."),
    )
    expire_after_days = models.PositiveIntegerField(_("expire after (days)"), default=7)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("When several policies match, the lowest wins.")
    )

    class Meta:
        verbose_name = _("sending policy")
        verbose_name_plural = _("sending policies")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sampling_rate__gte=0) & models.Q(sampling_rate__lte=1),
                name="policy_sampling_rate_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Not sent")


class SkipReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("Customer opted out")
    THROTTLED = "throttled", _("Customer asked recently")
    SAMPLED_OUT = "sampled_out", _("Not drawn by sampling")
    NO_ADDRESS = "no_address", _("No address for the delivery channel")
    ABANDONED = "abandoned", _("Abandoned contact")
    OUTBOUND = "outbound", _("Agent-initiated contact")
    DO_NOT_SURVEY = "do_not_survey", _('Marked "do not survey"')
    REOPENED = "reopened", _("Ticket reopened")
    RECONTACTED = "recontacted", _("Customer contacted us again first")


class Invitation(models.Model):
    """The outbox: one row per survey decided, sent or not, and why.

    Agent, team and channel are copied at decision time: helpdesks often unassign the agent
    when a ticket is solved.
    """

    policy = models.ForeignKey(
        SendingPolicy, verbose_name=_("policy"), null=True, on_delete=models.SET_NULL
    )
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT
    )
    # No index of its own: (customer, created_at) below leads with it and serves its lookups.
    customer = models.ForeignKey(
        "tickets.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="invitations",
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    team = models.ForeignKey(
        "tickets.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.CharField(_("contact channel"), max_length=16, blank=True)
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices)
    language = models.CharField(_("language"), max_length=8, default="fr")

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    skip_reason = models.CharField(
        _("why not sent"), max_length=16, choices=SkipReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    send_after = models.DateTimeField(_("due at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminder_due_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Delivery's claim (surveys.delivery.claims): which dispatch took the row and when. A
    # claim older than the lease is released, so a killed worker or a lost queue message
    # delays an invitation but never loses it.
    claim = models.UUIDField(_("delivery claim"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["status", "reminder_due_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["status", "claimed_at"]),
            # The beat's claim reads the oldest due rows in this order, a batch at a time:
            # without it, each claim sorts the whole backlog of pending rows.
            models.Index(
                fields=["send_after", "id"],
                condition=models.Q(status="pending", delivery__in=["email", "sms"]),
                name="invitation_due_to_send",
            ),
        ]
        constraints = [
            # One survey per ticket episode, whatever races between triggers.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(status__in=["pending", "sending", "sent"]),
                name="one_open_invitation_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} -> {self.customer} ({self.status})"


class TokenPurpose(models.TextChoices):
    ANSWER = "answer", _("Answer the survey")
    UNSUBSCRIBE = "unsubscribe", _("Stop receiving surveys")


class InvitationToken(models.Model):
    """A public link's secret, kept only as its SHA-256 digest.

    The raw token (at least 128 random bits) exists only in the message that carries it: each
    sending (first message, reminder, link fetched by a helpdesk) makes a new one.
    """

    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="tokens"
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=TokenPurpose.choices)
    digest = models.CharField(_("SHA-256 digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("invitation token")
        verbose_name_plural = _("invitation tokens")

    def __str__(self) -> str:
        return f"{self.purpose} token for invitation {self.invitation_id}"


class OutboxState(models.TextChoices):
    """Where a message that leaves after a commit stands (surveys.outbox)."""

    PENDING = "pending", pgettext_lazy("webhook delivery", "To send")
    SENT = "sent", pgettext_lazy("webhook delivery", "Sent")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Refused")


class WebhookEvent(models.TextChoices):
    CREATED = "response.created", _("Response recorded")
    UPDATED = "response.updated", _("Response changed")


class WebhookDelivery(models.Model):
    """The response webhook's outbox: one row per event to POST to RESPONSE_WEBHOOK_URL.

    Written in the answer's transaction, so no answer goes without its event; sent once by a
    task (surveys.webhooks), caught up by the beat when the task never ran.
    """

    response = models.ForeignKey(
        Response,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
    )
    event = models.CharField(_("event"), max_length=24, choices=WebhookEvent.choices)
    # The Ecoute-Delivery header: the same for every attempt, so the receiver can drop a repeat.
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The catch-up reads the overdue pending rows; sent ones are most of the table.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.response_id} ({self.state})"


class FollowUpKind(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor")
    REPEAT_CAUSE = "repeat_cause", _("Repeat-contact cause")


class AlertState(models.TextChoices):
    """The team lead's alert about a follow-up (same values as OutboxState, and one more)."""

    PENDING = "pending", _("team lead not alerted yet")
    SENT = "sent", _("team lead alerted")
    FAILED = "failed", _("alert refused by the mail server")
    NO_RECIPIENT = "no_recipient", _("nobody to alert: no team lead's email")


class FollowUpStatus(models.TextChoices):
    # One follow-up's status: "Ouvert", not the "Ouverts" of a count of tickets.
    OPEN = "open", pgettext_lazy("a follow-up", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("a follow-up", "In progress")
    HANDLED = "handled", pgettext_lazy("a follow-up", "Handled")


class FollowUp(models.Model):
    """A customer's bad score or repeat cause, for a team lead to act on and mark handled."""

    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    response = models.OneToOneField(
        Response,
        verbose_name=_("response"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    repeat_cause = models.OneToOneField(
        RepeatCause,
        verbose_name=_("repeat-contact cause"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    # Who and what it is about, as the invitation recorded it at decision time.
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    team = models.ForeignKey(
        "tickets.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    alerted_at = models.DateTimeField(_("team lead alerted at"), null=True, blank=True)
    # The alert's outbox state (surveys.outbox): it is sent by a task after the answer commits.
    alert_state = models.CharField(
        _("team lead alert"), max_length=12, choices=AlertState.choices, default=AlertState.PENDING
    )
    alert_due_at = models.DateTimeField(_("alert due at"), null=True, blank=True)
    alert_attempts = models.PositiveSmallIntegerField(_("alert attempts"), default=0)
    alert_error = models.TextField(_("alert error"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        "auth.User",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    minutes_spent = models.PositiveIntegerField(_("time taken (minutes)"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["handled_at", "created_at"]),
            models.Index(fields=["status", "created_at"], name="followup_status_created"),
            models.Index(
                fields=["alert_due_at"],
                condition=models.Q(alert_state="pending"),
                name="followup_alert_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response__isnull=False) | models.Q(repeat_cause__isnull=False),
                name="follow_up_has_a_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_handled(self) -> bool:
        return self.handled_at is not None
