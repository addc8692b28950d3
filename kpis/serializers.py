"""Input and output shapes of the KPI API."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .registry import KPIS
from .scope import DIMENSIONS, GRANULARITIES, day_problem

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Dimensions, comma-separated: what validate_by takes, as a pattern the schema shows.
_ITEM = rf"\s*(?:{'|'.join(DIMENSIONS)})?\s*"
_DIMENSION_LIST = RegexValidator(
    rf"^{_ITEM}(?:,{_ITEM})*$",
    _("Give dimensions, comma-separated: channel, team, agent, reason, priority."),
)


def _day_in_bounds(day: date) -> None:
    problem = day_problem(day)
    if problem:
        raise serializers.ValidationError(problem)


def _day(help_text: StrOrPromise, **options: Any) -> serializers.DateField:
    return serializers.DateField(validators=[_day_in_bounds], help_text=help_text, **options)


class KpiQueryInputSerializer(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under another name and renamed below.
    from_ = _day(_("First day of the period (YYYY-MM-DD), included."))
    to = _day(_("Last day of the period (YYYY-MM-DD), included."))
    granularity = serializers.ChoiceField(
        choices=GRANULARITIES,
        required=False,
        help_text=_("Cut the period into days, weeks, months."),
    )
    by = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        validators=[_DIMENSION_LIST],
        help_text=_(
            "Dimensions to cut by, comma-separated: channel, team, agent, reason, priority."
        ),
    )
    compare_from = _day(_("Start of a second period to test the change against."), required=False)
    compare_to = _day(_("End of the second period (needs compare_from)."), required=False)
    export = serializers.ChoiceField(
        choices=["csv", "xlsx"], required=False, help_text=_("Download the table as CSV or XLSX.")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        for name in DIMENSIONS:
            fields[name] = serializers.CharField(
                required=False,
                allow_blank=True,
                help_text=_("Only these values (comma-separated)."),
            )
        for name in DIMENSIONS:
            fields[f"compare_{name}"] = serializers.CharField(
                required=False,
                allow_blank=True,
                help_text=_("Compare with this segment instead (same period unless compare_from)."),
            )
        return fields

    def validate_by(self, value: str) -> list[str]:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in DIMENSIONS]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown dimension %(value)s: use %(choices)s.")
                % {"value": ", ".join(unknown), "choices": ", ".join(DIMENSIONS)}
            )
        return names

    def validate(self, attrs: dict) -> dict:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end is before the start.")})
        if bool(attrs.get("compare_from")) != bool(attrs.get("compare_to")):
            raise serializers.ValidationError(
                {"compare_to": _("Give both compare_from and compare_to, or neither.")}
            )
        if attrs.get("compare_to") and attrs["compare_to"] < attrs["compare_from"]:
            raise serializers.ValidationError(
                {"compare_to": _("The end of the compared period is before its start.")}
            )
        return attrs


class TableOutputSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())


class KpiOutputSerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=sorted(KPIS))
    period = serializers.DictField(help_text=_("from and to, both included."))
    granularity = serializers.CharField(allow_null=True)
    by = serializers.ListField(child=serializers.CharField())
    filters = serializers.DictField(child=serializers.CharField())
    time_zone = serializers.CharField(help_text=_("Zone the periods are cut in."))
    min_sample = serializers.IntegerField(
        help_text=_("Figures from fewer answers carry a low_sample flag set to true.")
    )
    fcr_window_days = serializers.IntegerField(
        help_text=_("FCR_WINDOW_DAYS: the repeat and re-contact window, in days.")
    )
    facts_current = serializers.BooleanField(
        help_text=_(
            "False while the stored repeat and re-contact facts were computed with another "
            "window than fcr_window_days (until manage.py facts_rebuild has run): FCR and "
            "repeat figures are then those of the stored window."
        )
    )
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
    comparison = TableOutputSerializer(
        required=False,
        help_text=_(
            "With compare_from/compare_to (another period) or compare_<dimension> (another "
            "segment, e.g. compare_channel=email): per segment and figure, the change from the "
            "compared one to this one, the test used, its p-value and whether it is significant "
            "at 95 %."
        ),
    )
