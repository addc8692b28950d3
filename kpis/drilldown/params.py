"""What a drill-down URL may ask, checked at the edge: a bad value names its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import RepeatCauseCode, Reporter, Resolution, SurveyKind
from tickets.models import Channel

from ..queries.backlog import AGE_BUCKETS
from ..scope import day_problem

YES_NO = [("", ""), ("1", _("Yes")), ("0", _("No"))]
BANDS = [("", ""), ("low", _("Low")), ("middle", _("Middle")), ("high", _("High"))]
AGES = [("", ""), *((name, label) for name, label, _low, _high in AGE_BUCKETS)]
EXCHANGES = [("", ""), *[(v, v) for v in ("0", "1", "2", "3", "4+")]]
TARGETS = [
    ("", ""),
    ("met", _("answered within target")),
    ("missed", _("answered late")),
    ("unanswered", _("not answered")),
]
MAX_PAGE = 2000


def _choices(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", ""), *choices]


class SegmentForm(forms.Form):
    """The period and segment every list shares with the overview."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_choices(Channel.choices), required=False
    )
    team = forms.CharField(label=_("Team"), max_length=64, required=False)
    agent = forms.CharField(label=_("Agent"), max_length=64, required=False)
    reason = forms.CharField(label=_("Contact reason"), max_length=64, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    # URL names of the fields: `from` is a Python keyword, so the form calls it `start`.
    url_names = {"from": "start", "to": "end"}

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None:
            data = {self.url_names.get(k, k): v for k, v in data.items()}
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("start", "end"):
            # Years 1 and 9999 leave no room for a period's bounds; history has no such days.
            problem = data.get(name) and day_problem(data[name])
            if problem:
                self.add_error(name, problem)  # Also drops it from the cleaned data.
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data

    def segment(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name in ("channel", "team", "agent", "reason")
            if self.cleaned_data.get(name)
        }


class ContactListForm(SegmentForm):
    sort = forms.ChoiceField(
        choices=[(k, k) for k in ("-started", "started", "channel", "reason", "-handle", "-wait")],
        required=False,
    )
    inbound = forms.ChoiceField(label=_("Inbound"), choices=YES_NO, required=False)
    repeat = forms.ChoiceField(label=_("Repeat contact"), choices=YES_NO, required=False)
    followed = forms.ChoiceField(label=_("Followed by a repeat"), choices=YES_NO, required=False)
    abandoned = forms.ChoiceField(label=_("Abandoned call"), choices=YES_NO, required=False)
    handled = forms.ChoiceField(label=_("Handled by an agent"), choices=YES_NO, required=False)
    target = forms.ChoiceField(label=_("Answer"), choices=TARGETS, required=False)
    cause = forms.ChoiceField(
        label=_("Repeat-contact cause"), choices=_choices(RepeatCauseCode.choices), required=False
    )
    reporter = forms.ChoiceField(
        label=_("Given by"), choices=_choices(Reporter.choices), required=False
    )


class TicketListForm(SegmentForm):
    sort = forms.ChoiceField(
        choices=[(k, k) for k in ("-solved", "solved", "-created", "created", "-inbound")],
        required=False,
    )
    date = forms.ChoiceField(
        label=_("Period of"),
        choices=[("solved", _("solving")), ("created", _("creation"))],
        required=False,
    )
    fcr = forms.ChoiceField(label=_("Solved at first contact"), choices=YES_NO, required=False)
    inbound = forms.ChoiceField(label=_("Reached us at least once"), choices=YES_NO, required=False)
    recontact = forms.ChoiceField(label=_("Customer came back"), choices=YES_NO, required=False)
    exchanges = forms.ChoiceField(
        label=_("Contacts on the ticket"), choices=EXCHANGES, required=False
    )
    open = forms.ChoiceField(label=_("Still open"), choices=YES_NO, required=False)
    age = forms.ChoiceField(label=_("Waiting for"), choices=AGES, required=False)


class AnswerListForm(SegmentForm):
    """Survey answers; the comments view is the same list, only answers with a comment."""

    sort = forms.ChoiceField(
        choices=[(k, k) for k in ("-responded", "responded", "score", "-score")], required=False
    )
    kind = forms.ChoiceField(
        label=_("Survey"), choices=_choices(SurveyKind.choices), required=False
    )
    band = forms.ChoiceField(label=_("Score"), choices=BANDS, required=False)
    resolved = forms.ChoiceField(
        label=_("Resolved, as the customer says"),
        choices=_choices(Resolution.choices),
        required=False,
    )
    q = forms.CharField(label=_("Words"), max_length=200, required=False)
    comment = forms.ChoiceField(label=_("With a comment"), choices=YES_NO, required=False)
    repeat = forms.ChoiceField(
        label=_("After"),
        choices=[("", ""), ("repeat", _("a repeat contact")), ("first", _("a first contact"))],
        required=False,
    )
    exchanges = forms.ChoiceField(
        label=_("Contacts on the ticket"), choices=EXCHANGES, required=False
    )
    target = forms.ChoiceField(label=_("Answer"), choices=TARGETS, required=False)
    promoter = forms.ChoiceField(label=_("Promoter (9-10)"), choices=YES_NO, required=False)
    detractor = forms.ChoiceField(label=_("Detractor (0-6)"), choices=YES_NO, required=False)
    good = forms.ChoiceField(label=_("Satisfied (4-5)"), choices=YES_NO, required=False)


def errors_of(form: forms.Form) -> list[str]:
    """Each error as "field: message", naming the field as the URL does."""
    urls = {v: k for k, v in SegmentForm.url_names.items()}
    return [
        f"{urls.get(field, field)}: {message}"
        for field, messages in form.errors.items()
        for message in messages
    ]
