"""What figures are held against, edited by a manager: each channel's targets."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from surveys.models import RepeatCauseCode
from tickets.labels import channel_label

from .references import SectorReference
from .targets import ChannelTarget, channel_targets


@admin.register(ChannelTarget)
class ChannelTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "answer_seconds", "fcr_pct", "abandonment_alert_pct", "in_force"]
    list_editable = ["answer_seconds", "fcr_pct", "abandonment_alert_pct"]

    def get_readonly_fields(self, request, obj=None):
        return ["channel"] if obj is not None else []

    @admin.display(description=_("in force (blank fields follow the settings)"))
    def in_force(self, obj: ChannelTarget) -> str:
        target = channel_targets()[obj.channel]
        answer = f"{target.answer_seconds} s" if target.answer_seconds else "-"
        return _("answer %(answer)s · FCR %(fcr)s %% · abandonment %(abandonment)s %%") % {
            "answer": answer,
            "fcr": f"{target.fcr_pct:g}",
            "abandonment": f"{target.abandonment_alert_pct:g}",
        }


@admin.register(SectorReference)
class SectorReferenceAdmin(admin.ModelAdmin):
    list_display = ["measure", "subject_label", "value", "value_high", "source", "year"]
    list_editable = ["value", "value_high", "source", "year"]
    list_filter = ["measure", "source"]

    @admin.display(description=_("channel or cause"), ordering="subject")
    def subject_label(self, obj: SectorReference) -> str:
        if obj.subject in RepeatCauseCode.values:
            return str(RepeatCauseCode(obj.subject).label)
        return channel_label(obj.subject)
