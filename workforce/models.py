"""Agents' presence (their states over time) and what a team costs and is paid for.

States are stored in UTC, one row per stretch of one state. `PresenceHour` is their rollup:
seconds per agent and local hour, kept by workforce.presence as states are written, so that
occupancy over months reads hours, not every state.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Agent, Team


class State(models.TextChoices):
    LOGGED_IN = "logged_in", _("Logged in")
    AVAILABLE = "available", _("Available")
    HANDLING = "handling", _("Handling a contact")
    AFTER_CONTACT_WORK = "after_contact_work", _("After-contact work")
    BREAK = "break", _("Break")
    LOGGED_OUT = "logged_out", _("Logged out")


class AgentState(models.Model):
    """One stretch of one state. `ended_at` empty: the state is still running (it ends when the
    agent's next state starts)."""

    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.CASCADE)
    state = models.CharField(_("state"), max_length=24, choices=State.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")
        ordering = ["agent", "started_at"]
        constraints = [
            # The same state sent again (an import overlapping the last) updates, never doubles.
            models.UniqueConstraint(
                fields=["agent", "started_at"], name="workforce_state_agent_start_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gt=models.F("started_at")),
                name="workforce_state_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.state} {self.started_at:%Y-%m-%d %H:%M}"


class PresenceHour(models.Model):
    """Seconds an agent spent in each kind of state during one local hour (rollup)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    # The hour's start, in UTC: a local hour of TIME_ZONE (25 of them on the autumn DST day).
    hour = models.DateTimeField()
    logged_in = models.PositiveIntegerField(default=0)  # every state but logged out
    breaks = models.PositiveIntegerField(default=0)
    handling = models.PositiveIntegerField(default=0)
    after_contact_work = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "hour"], name="workforce_presence_hour_unique")
        ]
        indexes = [models.Index(fields=["hour", "team"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.hour:%Y-%m-%d %H:%M}"


class TeamWorkforce(models.Model):
    """What a team costs, what it is paid, and the occupancy it should stay within."""

    team = models.OneToOneField(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="workforce"
    )
    occupancy_low_pct = models.PositiveSmallIntegerField(
        _("occupancy alert below (%)"),
        default=70,
        help_text=_("Below this, the team has more people than contacts (over-staffed)."),
    )
    occupancy_high_pct = models.PositiveSmallIntegerField(
        _("occupancy alert above (%)"),
        default=90,
        help_text=_("Above this, agents have no time to breathe (under-staffed, burn-out)."),
    )
    cost_per_agent_hour = models.DecimalField(
        _("cost per agent-hour"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    outsourced = models.BooleanField(_("outsourced"), default=False)
    price_per_contact = models.DecimalField(
        _("price per contact"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("An outsourced team paid by the contact: this price replaces the hour's cost."),
    )

    class Meta:
        verbose_name = _("team's workforce settings")
        verbose_name_plural = _("teams' workforce settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(occupancy_low_pct__lte=models.F("occupancy_high_pct")),
                name="workforce_team_bands_ordered",
            )
        ]

    def __str__(self) -> str:
        return str(self.team)


class Invoice(models.Model):
    """What an outsourced team invoiced for one month: the contacts it says it handled."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE)
    month = models.DateField(_("month"), help_text=_("Any day of the month invoiced."))
    contacts = models.PositiveIntegerField(_("contacts invoiced"))
    # The contact ids the invoice lists, one per line (optional): the differences are then
    # listed contact by contact.
    contact_ids = models.TextField(_("contact ids invoiced"), blank=True)

    class Meta:
        verbose_name = _("outsourcer's invoice")
        verbose_name_plural = _("outsourcers' invoices")
        ordering = ["-month", "team"]
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="workforce_invoice_team_month")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.month:%Y-%m}"

    def save(self, *args, **kwargs) -> None:
        self.month = self.month.replace(day=1)
        super().save(*args, **kwargs)

    def listed_ids(self) -> list[str]:
        return [line.strip() for line in self.contact_ids.splitlines() if line.strip()]
