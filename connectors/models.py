"""Helpdesks that send or lend us their history, and every body they sent, stored first.

A `Source` is one helpdesk account (Zendesk, Freshdesk, Zammad, Chatwoot, or any tool through the
generic JSON mapping). A `Payload` is a body it delivered (a webhook, or a page of an export we
pulled), kept raw before anything reads it, so that nothing is lost when a body cannot be mapped
yet: it waits, with the reason, for a manager to fix the mapping and replay it. A `Cursor` is how
far a pull got, written in the same transaction as the page it read.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField


class Kind(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    FRESHDESK = "freshdesk", "Freshdesk"
    ZAMMAD = "zammad", "Zammad"
    CHATWOOT = "chatwoot", "Chatwoot"
    GENERIC = "generic", _("Generic JSON")


# Helpdesks whose webhook carries a shared secret rather than a signature: only its digest is
# kept. The others sign each body with a key we must hold to check it.
DIGEST_KINDS = {Kind.FRESHDESK}


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Source(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("webhook name"),
        max_length=50,
        unique=True,
        help_text=_("The end of the webhook address: /hooks/NAME/."),
    )
    kind = models.CharField(_("helpdesk"), max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    id_prefix = models.CharField(
        _("id prefix"),
        max_length=16,
        help_text=_(
            "Put before the helpdesk's ids (tickets, customers, agents, groups), so that two "
            "helpdesks never share an id, e.g. zd-."
        ),
    )
    # The webhook's key: the signing key where the helpdesk signs (kept to check signatures,
    # so kept encrypted rather than hashed), or the digest of a shared secret where it only
    # sends one. Never shown again.
    signing_key = EncryptedTextField(_("signing key"), null=True, blank=True, editable=False)
    secret_digest = models.CharField(_("secret digest"), max_length=64, blank=True, editable=False)
    secret_set_at = models.DateTimeField(_("secret set at"), null=True, blank=True, editable=False)
    default_reason = models.CharField(
        _("default contact reason"),
        max_length=64,
        blank=True,
        default="other",
        help_text=_("When no reason mapping matches. Empty: such a body waits for a mapping."),
    )
    # Where Ecoute pulls (Zendesk's export) or posts (Chatwoot's survey links).
    base_url = models.URLField(
        _("helpdesk address"), blank=True, help_text=_("e.g. https://acme.zendesk.com")
    )
    api_user = models.CharField(
        _("API user"),
        max_length=200,
        blank=True,
        help_text=_("Zendesk: the agent's email the API token belongs to."),
    )
    # Sent to the helpdesk, so kept encrypted (SECRET_KEY and FIELD_ENCRYPTION_SALT).
    api_token = EncryptedTextField(_("API token"), null=True, blank=True, editable=False)
    account = models.CharField(
        _("account id"), max_length=32, blank=True, help_text=_("Chatwoot: the account number.")
    )
    pull_from = models.DateTimeField(
        _("pull history from"),
        null=True,
        blank=True,
        help_text=_("Where the first pull starts; empty: the last 30 days."),
    )
    field_paths = models.JSONField(
        _("field paths"),
        default=dict,
        blank=True,
        help_text=_("Generic JSON only: where each field is found in a body (see the README)."),
    )
    rate_limited_until = models.DateTimeField(
        _("rate limited until"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("helpdesk source")
        verbose_name_plural = _("helpdesk sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        others = Source.objects.exclude(pk=self.pk).values_list("id_prefix", flat=True)
        for other in others:
            if other.startswith(self.id_prefix) or self.id_prefix.startswith(other):
                raise ValidationError(
                    {
                        "id_prefix": _("Another source uses %(other)s: prefixes must not overlap.")
                        % {"other": other}
                    }
                )

    def secret_set(self, secret: str) -> None:
        from django.utils import timezone

        if self.kind in DIGEST_KINDS:
            self.secret_digest, self.signing_key = secret_digest(secret), ""
        else:
            self.signing_key, self.secret_digest = secret, ""
        self.secret_set_at = timezone.now()

    @property
    def has_secret(self) -> bool:
        return bool(self.signing_key or self.secret_digest)


class MappingKind(models.TextChoices):
    TEAM = "team", _("Group to team")
    AGENT = "agent", _("Agent to agent")
    CHANNEL = "channel", _("Channel to channel")
    REASON = "reason", _("Reason to reason")
    PRIORITY = "priority", _("Priority to priority")
    STATE = "state", _("Agent status to agent state")


class Mapping(models.Model):
    """One of the helpdesk's values and the Ecoute value it stands for."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="mappings"
    )
    kind = models.CharField(_("what"), max_length=8, choices=MappingKind.choices)
    remote = models.CharField(
        _("helpdesk value"),
        max_length=200,
        help_text=_("An id or a name as the helpdesk sends it (case does not matter)."),
    )
    value = models.CharField(_("Ecoute value"), max_length=64)

    class Meta:
        verbose_name = _("mapping")
        verbose_name_plural = _("mappings")
        ordering = ["kind", "remote"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "remote"], name="one_mapping_per_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.remote} -> {self.value}"


class PayloadState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Recorded")
    IGNORED = "ignored", _("Nothing to record")
    FAILED = "failed", _("Cannot be mapped")


class Origin(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    PULL = "pull", _("Pull")


class Payload(models.Model):
    """A body as the helpdesk sent it, and what became of it."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="payloads"
    )
    delivery_id = models.CharField(_("delivery id"), max_length=200)
    digest = models.CharField(_("SHA-256 of the body"), max_length=64, db_index=True)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices)
    body = models.TextField(_("body"))
    received_at = models.DateTimeField(_("received at"))
    state = models.CharField(
        _("state"), max_length=8, choices=PayloadState.choices, default=PayloadState.PENDING
    )
    # A body that names a ticket not received yet waits and is tried again from this time.
    available_at = models.DateTimeField(_("try from"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    reason = models.TextField(_("why"), blank=True)
    # Whom a recorded body is about, for their personal data's export and erasure.
    customers = models.ManyToManyField(
        "tickets.Customer", verbose_name=_("customers"), related_name="+", blank=True
    )

    class Meta:
        verbose_name = _("received body")
        verbose_name_plural = _("received bodies")
        constraints = [
            # The same delivery sent twice is stored, hence processed, once.
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="one_payload_per_delivery"
            )
        ]
        indexes = [
            # The workers claim the oldest due bodies in this order, a batch at a time.
            models.Index(
                fields=["available_at", "id"],
                condition=models.Q(state="pending"),
                name="payload_due",
            ),
            models.Index(fields=["state", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.delivery_id}"


class Cursor(models.Model):
    """Where the next page of a pulled stream starts."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="cursors"
    )
    stream = models.CharField(_("stream"), max_length=40)
    value = models.CharField(_("cursor"), max_length=1000)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pull cursor")
        verbose_name_plural = _("pull cursors")
        constraints = [
            models.UniqueConstraint(fields=["source", "stream"], name="one_cursor_per_stream")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.stream}"
