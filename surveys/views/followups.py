"""The follow-ups a team lead works: who the customer is, what they said, who has it, where it
stands. Quality managers see every team's; a team lead, their own teams'."""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST
from rest_framework.request import Request

from tickets.models import Team
from tickets.permissions import QUALITY_MANAGERS_GROUP, is_quality_manager, led_team_ids

from .. import selectors
from ..followups import followup_handle, followup_update
from ..labels import cause_label, channel_label, reason_label
from ..models import AlertState, FollowUp, FollowUpKind, FollowUpStatus

STATE_CHOICES = [
    ("to_handle", gettext_lazy("To handle")),
    *FollowUpStatus.choices,
]


def _scope(request: HttpRequest) -> QuerySet[FollowUp]:
    """What the user may see, or a refusal that says who the page is for."""
    if is_quality_manager(cast(Request, request)):
        return selectors.followups_visible(request.user, all_teams=True)
    if led_team_ids(request.user):
        return selectors.followups_visible(request.user, all_teams=False)
    raise PermissionDenied(_("This page is for team leads and quality managers."))


def _people() -> QuerySet[User]:
    """Whom a follow-up may be given to: quality managers, staff and the teams' leads."""
    who = Q(is_staff=True) | Q(groups__name=QUALITY_MANAGERS_GROUP)
    # Case aside, as led_team_ids compares them.
    for email in set(Team.objects.exclude(lead_email="").values_list("lead_email", flat=True)):
        who |= Q(email__iexact=email)
    return User.objects.filter(is_active=True).filter(who).distinct().order_by("username")


class FilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("Status"), choices=STATE_CHOICES, required=False)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=pgettext_lazy("feminine", "All"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("All")), *FollowUpKind.choices],
        required=False,
    )
    assigned = forms.ChoiceField(
        label=gettext_lazy("Assigned to"),
        choices=[
            ("", gettext_lazy("Anyone")),
            ("me", gettext_lazy("Me")),
            ("nobody", gettext_lazy("Nobody")),
        ],
        required=False,
    )

    def __init__(self, *args, teams: QuerySet[Team], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def filters(self) -> selectors.FollowUpFilters:
        data = self.cleaned_data if self.is_valid() else {}
        team = data.get("team")
        return selectors.FollowUpFilters(
            status=data.get("state") or "to_handle",
            team=team.pk if team else None,
            kind=data.get("kind") or "",
            assigned=data.get("assigned") or "",
        )


class WorkForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=FollowUpStatus.choices)
    assigned_to = forms.ModelChoiceField(
        label=gettext_lazy("Assigned to"), queryset=User.objects.none(), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note (what was done)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    minutes_spent = forms.IntegerField(
        label=gettext_lazy("Time taken (minutes)"), min_value=0, max_value=10000, required=False
    )

    def __init__(self, *args, people: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = people  # type: ignore[attr-defined]


@login_required
@require_GET
def followups(request: HttpRequest) -> HttpResponse:
    visible = _scope(request)
    teams = Team.objects.filter(pk__in=visible.values("team_id")).order_by("name", "external_id")
    filter_form = FilterForm(request.GET or None, teams=teams)
    filters = filter_form.filters()
    page = Paginator(selectors.followups_list(visible, filters, user=request.user), 25).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/staff/followups.html",
        {
            "page": page,
            "rows": [_row(item) for item in page.object_list],
            "people": list(_people()),
            "statuses": FollowUpStatus.choices,
            "filter_form": filter_form,
            "handled": filters.status == FollowUpStatus.HANDLED,
            "query": query.urlencode(),
        },
    )


def _row(item: FollowUp) -> dict:
    """What one follow-up shows, in labels: the customer, the contact, what they said."""
    contact = item.contact
    customer = (contact.customer if contact else None) or (
        item.ticket.customer if item.ticket else None
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    reasons = []
    if item.response is not None:
        reasons = [r.label(language[:2]) for r in item.response.low_score_reasons.all()]
    cause = item.repeat_cause
    return {
        "item": item,
        "customer": customer,
        "language": _language_name(customer.language if customer else ""),
        "channel": channel_label(contact.channel) if contact else "",
        "reason": reason_label(
            contact.reason if contact else (item.ticket.reason if item.ticket else "")
        ),
        "reasons": reasons,
        "cause": cause_label(cause.code, cause.reporter) if cause else "",
        "comment": (item.response.comment if item.response else "")
        or (cause.comment if cause else ""),
        "nobody_alerted": item.alert_state in (AlertState.NO_RECIPIENT, AlertState.FAILED),
    }


def _language_name(code: str) -> str:
    names = dict(settings.LANGUAGES)
    return str(names.get(code[:2], code)) if code else ""


@login_required
@require_POST
def followup_work(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(_scope(request), pk=pk)
    form = WorkForm(request.POST, people=_people(), prefix=f"f{pk}")
    if not form.is_valid():
        messages.error(
            request,
            _("The follow-up was not saved: %(errors)s")
            % {
                "errors": " ".join(
                    f"{form.fields[name].label}: {error}"
                    for name, errors in form.errors.items()
                    for error in errors
                )
            },
        )
    else:
        followup_update(follow_up, user=request.user, **form.cleaned_data)
        messages.success(request, _("Follow-up saved."))
    return redirect(_back(request))


@login_required
@require_POST
def followup_mark_handled(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(_scope(request), pk=pk)
    followup_handle(follow_up, user=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Follow-up marked as handled."))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The list as the user filtered it (only our own path, never an outside address)."""
    back = request.POST.get("back", "")
    path = "/surveys/follow-ups/"
    return back if back.startswith(path + "?") or back == path else path
