"""The sending policy's admin form: lists to tick instead of JSON, and quiet hours explained.

Channels, reasons and teams are picked from lists with their labels; a value not in the list
is refused. Equal quiet-hour bounds mean "no quiet hours": the form says so with a box of its
own, and refuses equal bounds typed by mistake.
"""

from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel, ContactReason, Team

from .labels import reason_label
from .models import SendingPolicy

MIDNIGHT = time(0, 0)
# Enough for any real catalogue of contact reasons; the list stays a page long.
REASONS_SHOWN = 300


def known_reasons(keep: list[str]) -> list[tuple[str, str]]:
    """The reasons' catalogue (filled by every way history comes in), with their labels, plus
    those already chosen. The catalogue, not the contacts: a DISTINCT over millions of contacts
    would make the form slow to open."""
    codes = set(ContactReason.objects.values_list("code", flat=True)[:REASONS_SHOWN])
    codes |= {code for code in keep if code}
    return sorted(((code, reason_label(code)) for code in codes), key=lambda c: c[1].lower())


class SendingPolicyForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("contact channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )
    reasons = forms.MultipleChoiceField(
        label=_("contact reasons"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every reason."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=Team.objects.order_by("name", "external_id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every team."),
    )
    no_quiet_hours = forms.BooleanField(
        label=_("no quiet hours"),
        required=False,
        help_text=_("Ticked: surveys leave as soon as they are due, night and day."),
    )

    class Meta:
        model = SendingPolicy
        exclude: list[str] = []
        help_texts = {
            "quiet_start": _(
                "In the customer's time zone, a survey due between the start and the end waits "
                "for the end (21:00 to 08:00: nothing at night)."
            ),
            "is_active": _(
                "A new policy is off: read its wording in the preview, then switch it on."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        chosen = list(self.instance.reasons or []) if self.instance.pk else []
        self.fields["reasons"].choices = known_reasons(chosen)  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["no_quiet_hours"].initial = (
                self.instance.quiet_start == self.instance.quiet_end
            )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("no_quiet_hours"):
            data["quiet_start"] = data["quiet_end"] = MIDNIGHT
        elif data.get("quiet_start") is not None and data.get("quiet_start") == data.get(
            "quiet_end"
        ):
            self.add_error(
                "quiet_end",
                _(
                    "The same start and end mean no quiet hours: tick “no quiet hours”, or "
                    "give two different times."
                ),
            )
        return data

    def save(self, commit: bool = True) -> SendingPolicy:
        policy = super().save(commit=False)
        if self.cleaned_data.get("no_quiet_hours"):
            policy.quiet_start = policy.quiet_end = MIDNIGHT
        if commit:
            policy.save()
            self.save_m2m()
        return policy
