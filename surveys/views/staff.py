"""The agent's page: their figures beside their team's, and their contacts to score."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tickets.models import Agent, Contact

from .. import selectors
from ..agent_figures import DAYS, agent_and_team_figures
from ..labels import cause_choices_for_agent
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
    mine, team = agent_and_team_figures(agent)
    return render(
        request,
        "surveys/staff/agent.html",
        {
            "agent": agent,
            "contacts": selectors.contacts_to_score(agent),
            "scores": AGENT_SCORES,
            "causes": cause_choices_for_agent(),
            "mine": mine,
            "team": team,
            "days": DAYS,
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
            comment=request.POST.get("comment", ""),
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
