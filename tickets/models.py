"""The ticket history a customer-service team sends us: who contacted whom, when, about what.

Every row carries the id it has in the helpdesk (`external_id`), unique per kind, so that the
same payload sent twice updates rather than duplicates. Times are stored in UTC.
"""

import hashlib

from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _


def unique_external_id() -> models.UniqueConstraint:
    """`external_id` unique per kind. A constraint rather than unique=True: on PostgreSQL the
    field option adds a second index (varchar_pattern_ops, for LIKE) that no query here uses
    and that every write and every import would keep up to date."""
    return models.UniqueConstraint(
        fields=["external_id"], name="%(app_label)s_%(class)s_external_id_unique"
    )


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")
    CHAT = "chat", _("Chat")
    FACEBOOK = "facebook", _("Facebook")
    TWITTER = "twitter", _("Twitter")
    CLICK_TO_CALL = "click_to_call", _("Click to call")
    CHATBOT = "chatbot", _("Chatbot")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound (the customer reaches out)")
    OUTBOUND = "outbound", _("Outbound (the service calls or writes back)")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ContactReason(models.Model):
    """A contact reason's labels, by its code. Filled by every way history comes in (the code
    stands as its label until someone names it in the admin); read through tickets.labels."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    label_fr = models.CharField(_("French label"), max_length=200)
    label_en = models.CharField(_("English label"), max_length=200)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Offered in the filters of the staff pages.")
    )

    class Meta:
        verbose_name = _("contact reason")
        verbose_name_plural = _("contact reasons")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Team(models.Model):
    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    lead_email = models.EmailField(_("team lead's email"), blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["external_id"]
        constraints = [unique_external_id()]

    def __str__(self) -> str:
        return self.name or self.external_id


class Agent(models.Model):
    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # The login an agent uses to score their own contacts on the agent page.
    user = models.OneToOneField(
        "auth.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agent",
    )

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = [Length("external_id"), "external_id"]
        constraints = [unique_external_id()]

    def __str__(self) -> str:
        return self.name or self.external_id


# The one consent rule: a customer who opted out is never written to again. Erasing a
# customer's personal data opts them out too (tickets.personal_data), so it covers both. Every
# step that may reach a customer (survey decision, delivery and reminder claims, the sending
# itself, link issuing, answering) asks it, through the queryset below or the property.
MAY_CONTACT = models.Q(opted_out_at__isnull=True)


class CustomerQuerySet(models.QuerySet):
    """Ask it of customers picked by primary key (`filter(pk__in=...)`): joined from a batch of
    invitations instead, the planner may read every customer to find a few."""

    def may_contact(self) -> "CustomerQuerySet":
        return self.filter(MAY_CONTACT)

    def may_not_contact(self) -> "CustomerQuerySet":
        return self.exclude(MAY_CONTACT)


class Customer(models.Model):
    external_id = models.CharField(_("external id"), max_length=64)
    # Whom a team lead calls back about a bad score; optional, as the helpdesk knows it.
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, blank=True, help_text=_("fr or en")
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [unique_external_id()]

    def __str__(self) -> str:
        return self.external_id

    @property
    def may_contact(self) -> bool:
        """MAY_CONTACT, for one customer already loaded."""
        return self.opted_out_at is None


def erased_digest(external_id: str) -> str:
    return hashlib.sha256(external_id.encode()).hexdigest()


class ErasedCustomer(models.Model):
    """An id whose customer's personal data was erased, kept as its SHA-256 digest only.

    The helpdesk may go on naming the customer by that id (a webhook, an API call): history
    about them is still recorded, under a customer opted out from the start, and their
    contact details are never written again (tickets.services)."""

    digest = models.CharField(_("SHA-256 of the former id"), max_length=64, unique=True)
    erased_at = models.DateTimeField(_("erased at"))

    class Meta:
        verbose_name = _("erased customer id")
        verbose_name_plural = _("erased customer ids")

    def __str__(self) -> str:
        return self.digest


class Ticket(models.Model):
    external_id = models.CharField(_("external id"), max_length=64)
    # No index of its own: the composite index in Meta leads with it and serves its lookups.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, db_index=False
    )
    reason = models.CharField(_("contact reason"), max_length=64)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    created_at = models.DateTimeField(_("created at"))
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)

    # Derived facts, kept by tickets.facts as history arrives (in any order), so that KPIs
    # read one row per ticket instead of scanning its contacts.
    inbound_count = models.PositiveIntegerField(_("inbound contacts"), default=0)
    first_inbound_contact = models.ForeignKey(
        "Contact",
        verbose_name=_("first inbound contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recontact_in_window = models.BooleanField(
        _("customer came back within the FCR window"), default=False
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["solved_at"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["customer", "reason", "solved_at"]),
            # The backlog counts the open tickets of a period: few among millions solved.
            models.Index(
                fields=["created_at"],
                condition=models.Q(solved_at__isnull=True),
                name="tickets_open_created",
            ),
        ]
        constraints = [unique_external_id()]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_solved(self) -> bool:
        return self.solved_at is not None


class Contact(models.Model):
    """One exchange between a customer and the service: a call, an email, a chat..."""

    external_id = models.CharField(_("external id"), max_length=64)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    # No index of its own: the composite index in Meta leads with it and serves its lookups.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, db_index=False
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reason = models.CharField(_("contact reason"), max_length=64)
    # No index of its own: the composite index in Meta leads with it and serves its lookups.
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    handle_seconds = models.PositiveIntegerField(_("handle time (s)"), null=True, blank=True)
    do_not_survey = models.BooleanField(
        _("do not survey"), default=False, help_text=_("Set by an integration: never survey it.")
    )

    # Derived facts (tickets.facts), exact whatever the order history arrives in.
    previous_contact = models.ForeignKey(
        "self",
        verbose_name=_("previous contact on the same reason"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_repeat = models.BooleanField(_("repeat contact"), default=False)
    followed_in_window = models.BooleanField(_("followed by a repeat contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["customer", "reason", "started_at"]),
            models.Index(fields=["started_at"]),
            models.Index(fields=["agent", "started_at"]),
        ]
        constraints = [
            unique_external_id(),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True)
                | models.Q(answered_at__gte=models.F("started_at")),
                name="contact_answered_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def is_inbound(self) -> bool:
        return self.direction == Direction.INBOUND

    @property
    def is_abandoned(self) -> bool:
        return self.is_inbound and self.channel == Channel.PHONE and self.answered_at is None


# Integration tokens live in their own module; imported here so that Django registers the model.
from .tokens import ApiToken  # noqa: E402, F401


class ImportedFile(models.Model):
    """The last history file imported under each name, by digest: the same export sent again
    is recognised without reading its rows. Forgotten as soon as the history is written by
    anything else (tickets.importing.fingerprints)."""

    name = models.CharField(max_length=64, unique=True)
    digest = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} {self.digest[:12]}"


class FactsState(models.Model):
    """One row: the window (FCR_WINDOW_DAYS) the stored facts were computed with, and how far a
    recomputation with another window got (tickets.facts_state)."""

    window_days = models.PositiveIntegerField()
    # A recomputation under way: its window, and the last customer (primary key) done.
    rebuild_window_days = models.PositiveIntegerField(null=True)
    rebuilt_through = models.BigIntegerField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"facts with a window of {self.window_days} days"
