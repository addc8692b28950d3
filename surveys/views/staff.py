"""Pages for the service's own people: the agent's scoring page and the managers' follow-ups."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tickets.models import Agent, Contact
from tickets.permissions import is_quality_manager

from .. import selectors
from ..followups import followup_handle
from ..models import FollowUp, RepeatCauseCode
from ..services import AnswerError, NotYourContact, agent_rating_record

AGENT_SCORES = [
    (1, gettext_lazy("Very dissatisfied")),
    (2, gettext_lazy("Dissatisfied")),
    (3, gettext_lazy("Neither satisfied nor dissatisfied")),
    (4, gettext_lazy("Satisfied")),
    (5, gettext_lazy("Very satisfied")),
]


def _agent_of(request: HttpRequest) -> Agent:
    agent = Agent.objects.filter(user=request.user).first()
    if agent is None:
        raise PermissionDenied(_("This page is for agents: your login is not linked to one."))
    return agent


@login_required
@require_GET
def agent_page(request: HttpRequest) -> HttpResponse:
    """The agent's recent handled contacts that they have not scored yet."""
    agent = _agent_of(request)
    return render(
        request,
        "surveys/staff/agent.html",
        {
            "agent": agent,
            "contacts": selectors.contacts_to_score(agent),
            "scores": AGENT_SCORES,
            "causes": RepeatCauseCode.choices,
        },
    )


@login_required
@require_POST
def agent_score(request: HttpRequest, contact_id: int) -> HttpResponse:
    agent = _agent_of(request)
    contact = get_object_or_404(Contact, pk=contact_id)
    try:
        agent_rating_record(
            agent=agent,
            contact=contact,
            score=request.POST.get("score"),
            cause=request.POST.get("cause", ""),
        )
    except NotYourContact:
        raise PermissionDenied(_("You can only score the contacts you handled.")) from None
    except AnswerError as exc:
        messages.error(request, exc.args[0])
    else:
        messages.success(
            request, _("Contact %(contact)s scored.") % {"contact": contact.external_id}
        )
    return redirect("surveys_staff:agent")


def _quality_manager(request: HttpRequest) -> None:
    if not is_quality_manager(request):
        raise PermissionDenied(_("This page is for quality managers."))


@login_required
@require_GET
def followups(request: HttpRequest) -> HttpResponse:
    """Detractors and repeat causes to act on; ?state=handled shows the handled ones."""
    _quality_manager(request)
    handled = request.GET.get("state") == "handled"
    page = Paginator(selectors.followups_list(handled=handled), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "surveys/staff/followups.html", {"page": page, "handled": handled})


@login_required
@require_POST
def followup_mark_handled(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_manager(request)
    follow_up = get_object_or_404(FollowUp, pk=pk)
    followup_handle(follow_up, user=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Follow-up marked as handled."))
    return redirect("surveys_staff:followups")
