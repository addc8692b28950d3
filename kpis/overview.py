"""Headline counts of the history for the home page: three queries, whatever its size."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q

from surveys.models import Response
from tickets.models import Contact, Direction, Ticket

from .routers import kpi_reads


@dataclass(frozen=True)
class Overview:
    contacts: int
    inbound: int
    first_contact: datetime | None
    last_contact: datetime | None
    tickets: int
    open_tickets: int
    surveys_answered: int  # contacts with at least one answer
    answers: int


@kpi_reads()
def history_overview() -> Overview:
    contacts = Contact.objects.aggregate(
        n=Count("id"),
        inbound=Count("id", filter=Q(direction=Direction.INBOUND)),
        first=Min("started_at"),
        last=Max("started_at"),
    )
    tickets = Ticket.objects.aggregate(
        n=Count("id"), open=Count("id", filter=Q(solved_at__isnull=True))
    )
    answers = Response.objects.aggregate(n=Count("id"), contacts=Count("contact", distinct=True))
    return Overview(
        contacts=contacts["n"],
        inbound=contacts["inbound"],
        first_contact=contacts["first"],
        last_contact=contacts["last"],
        tickets=tickets["n"],
        open_tickets=tickets["open"],
        surveys_answered=answers["contacts"],
        answers=answers["n"],
    )
