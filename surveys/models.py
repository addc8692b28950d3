"""What customers and agents said: survey answers, agents' own readings, repeat-contact causes.

Answers keep their raw score and the scale it was given on, never only a normalised value.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Agent, Contact, Ticket


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
        unique=True,
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

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["kind", "responded_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=models.F("scale_min"))
                & models.Q(score__lte=models.F("scale_max")),
                name="response_score_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"


class AgentRating(models.Model):
    """An agent's own reading of how satisfied the customer was, 1 to 5."""

    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="agent_rating"
    )
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.CASCADE)
    score = models.SmallIntegerField(_("score"))
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("agent rating")
        verbose_name_plural = _("agent ratings")
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

    class Meta:
        verbose_name = _("repeat-contact cause")
        verbose_name_plural = _("repeat-contact causes")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "reporter"], name="one_repeat_cause_per_reporter"
            ),
        ]

    def __str__(self) -> str:
        return self.code
