"""An agent's own figures beside their team's, over the last days (the agent page).

The definitions are the service's (DESIGN.md, "KPI definitions"), read for one agent:
- customer CSAT: share of 4-5 among the CSAT answers about contacts the agent handled;
- own scores: share of 4-5 among the agent's readings of those contacts;
- gap: own scores minus customer CSAT, in points (positive: the agent sees it rosier);
- repeat rate: share of the inbound contacts handled that the customer had to follow with a
  repeat within the window;
- FCR: share of solved tickets whose first inbound contact the agent handled, solved at that
  contact with no repeat within the window.
Each figure comes with its count, so a figure of three answers reads as such. Three grouped
queries per side (agent, team).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from tickets.models import Agent, Contact, Direction, Ticket

from .models import AgentRating, Response, SurveyKind

DAYS = 30


@dataclass(frozen=True)
class Figure:
    value: float | None  # a percentage, None without data
    n: int


@dataclass(frozen=True)
class Figures:
    csat: Figure
    own: Figure
    gap: float | None
    repeat: Figure
    fcr: Figure


def _share(part: int, whole: int) -> Figure:
    return Figure(round(100 * part / whole, 1) if whole else None, whole)


def figures_for(who: Q, *, days: int = DAYS) -> Figures:
    """`who` filters contacts (agent=..., or team=...)."""
    since = timezone.now() - timedelta(days=days)
    contacts = Contact.objects.filter(who, started_at__gte=since)
    answers = Response.objects.filter(
        kind=SurveyKind.CSAT, contact__in=contacts.values("pk")
    ).aggregate(n=Count("id"), good=Count("id", filter=Q(score__gte=4)))
    ratings = AgentRating.objects.filter(contact__in=contacts.values("pk")).aggregate(
        n=Count("id"), good=Count("id", filter=Q(score__gte=4))
    )
    repeats = contacts.filter(direction=Direction.INBOUND, answered_at__isnull=False).aggregate(
        n=Count("id"), followed=Count("id", filter=Q(followed_in_window=True))
    )
    first = Contact.objects.filter(who)
    tickets = Ticket.objects.filter(
        solved_at__gte=since, inbound_count__gte=1, first_inbound_contact__in=first.values("pk")
    ).aggregate(
        n=Count("id"), fcr=Count("id", filter=Q(inbound_count=1, recontact_in_window=False))
    )
    csat, own = _share(answers["good"], answers["n"]), _share(ratings["good"], ratings["n"])
    gap = None
    if csat.value is not None and own.value is not None:
        gap = round(own.value - csat.value, 1)
    return Figures(
        csat=csat,
        own=own,
        gap=gap,
        repeat=_share(repeats["followed"], repeats["n"]),
        fcr=_share(tickets["fcr"], tickets["n"]),
    )


def agent_and_team_figures(agent: Agent) -> tuple[Figures, Figures | None]:
    mine = figures_for(Q(agent=agent))
    team = figures_for(Q(team_id=agent.team_id)) if agent.team_id else None
    return mine, team
