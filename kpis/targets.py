"""What each channel aims at: the answer-time target, the FCR target and the abandonment
threshold, editable per channel in the admin.

A blank field follows the setting (KPI_ANSWER_TARGET_SECONDS, KPI_FCR_TARGET_PCT,
KPI_ABANDONMENT_ALERT_PCT), so an operator's defaults hold until a manager sets the channel's
own. The KPIs (speed of answer, the abandonment alert) and the overview's alarms read them
through `channel_targets()`, cached until a target changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel

CACHE_KEY = "kpis:channel-targets"
CACHE_SECONDS = 3600


class ChannelTarget(models.Model):
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, unique=True)
    answer_seconds = models.PositiveIntegerField(
        _("answer-time target (s)"),
        null=True,
        blank=True,
        help_text=_("Seconds within which a contact should be answered. Blank: the default."),
    )
    fcr_pct = models.FloatField(
        _("FCR target (%)"),
        null=True,
        blank=True,
        help_text=_(
            "First contact resolution below this share raises an alarm. Blank: the default."
        ),
    )
    abandonment_alert_pct = models.FloatField(
        _("abandonment threshold (%)"),
        null=True,
        blank=True,
        help_text=_("Abandoned calls above this share raise an alarm. Blank: the default."),
    )

    class Meta:
        verbose_name = _("channel target")
        verbose_name_plural = _("channel targets")
        ordering = ["channel"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fcr_pct__gte=0, fcr_pct__lte=100) | models.Q(fcr_pct=None),
                name="channel_target_fcr_pct_range",
            ),
            models.CheckConstraint(
                condition=models.Q(abandonment_alert_pct__gte=0, abandonment_alert_pct__lte=100)
                | models.Q(abandonment_alert_pct=None),
                name="channel_target_abandonment_pct_range",
            ),
        ]

    def __str__(self) -> str:
        return str(Channel(self.channel).label) if self.channel in Channel.values else self.channel


@dataclass(frozen=True)
class Targets:
    answer_seconds: int | None
    fcr_pct: float
    abandonment_alert_pct: float


def default_targets(channel: str) -> Targets:
    return Targets(
        settings.KPI_ANSWER_TARGET_SECONDS.get(channel),
        settings.KPI_FCR_TARGET_PCT,
        settings.KPI_ABANDONMENT_ALERT_PCT,
    )


def channel_targets() -> dict[str, Targets]:
    """Every channel's targets: its own where set, the settings' elsewhere."""
    stored = cache.get(CACHE_KEY)
    if stored is None:
        stored = {
            t.channel: (t.answer_seconds, t.fcr_pct, t.abandonment_alert_pct)
            # Read where it is written: a replica's lag must not keep an edit out of the cache.
            for t in ChannelTarget.objects.using(router.db_for_write(ChannelTarget))
        }
        cache.set(CACHE_KEY, stored, CACHE_SECONDS)
    out = {}
    for channel in Channel.values:
        default = default_targets(channel)
        answer, fcr, abandonment = stored.get(channel, (None, None, None))
        out[channel] = Targets(
            default.answer_seconds if answer is None else answer,
            default.fcr_pct if fcr is None else fcr,
            default.abandonment_alert_pct if abandonment is None else abandonment,
        )
    return out


def targets_forget(**kwargs: object) -> None:
    """Receiver: a target edited in the admin is read on the next page (and after commit)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def targets_stamp() -> str:
    """Changes with any target in force: part of the key the overview's panels are cached under."""
    return hashlib.sha256(repr(sorted(channel_targets().items())).encode()).hexdigest()[:16]
