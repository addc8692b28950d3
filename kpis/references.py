"""Published sector figures, shown beside the team's own as reference marks.

Managers ask where they stand among their peers, not only against last month. Each figure
names its source and year and is editable in the admin; a data migration seeds those of the
2016 KPI benchmark of 220 French brands (Easiware) and of BVA's study. They are marks to read
beside a figure, never targets: the targets are each channel's own (kpis.targets).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models, router, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CACHE_KEY = "kpis:sector-references"
CACHE_SECONDS = 3600


class Measure(models.TextChoices):
    FCR = "fcr", gettext_lazy("First contact resolution (%)")
    EXCHANGES = "exchanges", gettext_lazy("Exchanges per resolved request")
    REPEAT_CAUSE = "repeat_cause", gettext_lazy("Share of a repeat-contact cause (%)")
    ANSWER_TIME = "answer_time", gettext_lazy("Answer time (s)")
    CALLS_HANDLED = "calls_handled", gettext_lazy("Phone calls handled (%)")


class SectorReference(models.Model):
    measure = models.CharField(gettext_lazy("measure"), max_length=16, choices=Measure.choices)
    subject = models.CharField(
        gettext_lazy("channel or cause"),
        max_length=64,
        blank=True,
        help_text=gettext_lazy("The channel (answer time) or the cause code it is about."),
    )
    value = models.FloatField(gettext_lazy("value"))
    value_high = models.FloatField(
        gettext_lazy("high end"), null=True, blank=True, help_text=gettext_lazy("For a range.")
    )
    source = models.CharField(gettext_lazy("source"), max_length=200)
    year = models.PositiveSmallIntegerField(gettext_lazy("year"))

    class Meta:
        verbose_name = gettext_lazy("sector reference")
        verbose_name_plural = gettext_lazy("sector references")
        ordering = ["measure", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "subject"], name="sector_reference_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} {self.subject} ({self.source}, {self.year})".strip()


@dataclass(frozen=True)
class Reference:
    measure: str
    subject: str
    value: float
    value_high: float | None
    source: str
    year: int

    def shown(self, unit: str = "", digits: int = 0) -> str:
        """ "75-85 %" or "2.75", in the page's number format."""
        low = number_format(self.value, digits)
        if self.value_high is None:
            return f"{low}{unit}"
        return f"{low}-{number_format(self.value_high, digits)}{unit}"

    @property
    def cited(self) -> str:
        return _("%(source)s, %(year)s") % {"source": self.source, "year": self.year}


def sector_references() -> dict[tuple[str, str], Reference]:
    """{(measure, subject): Reference}, cached until one is edited."""
    stored = cache.get(CACHE_KEY)
    if stored is None:
        stored = {
            (r.measure, r.subject): Reference(
                r.measure, r.subject, r.value, r.value_high, r.source, r.year
            )
            # Read where it is written: a replica's lag must not keep an edit out of the cache.
            for r in SectorReference.objects.using(router.db_for_write(SectorReference))
        }
        cache.set(CACHE_KEY, stored, CACHE_SECONDS)
    return stored


def reference(measure: str, subject: str = "") -> Reference | None:
    return sector_references().get((measure, subject))


def references_forget(**kwargs: object) -> None:
    """Receiver: a reference edited in the admin shows on the next page."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def references_stamp() -> str:
    """Changes with any reference: part of the key the overview's panels are cached under."""
    return hashlib.sha256(repr(sorted(sector_references().items())).encode()).hexdigest()[:16]
