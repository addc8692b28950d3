"""What surveys hold about a customer, for tickets.personal_data's export and erasure.

Scores, codes and times stay on erasure (the KPIs count them); the free texts written by the
customer or about them are emptied, error texts that may quote an address too, pending
invitations are cancelled and every link sent to the customer stops working.
"""

from typing import Any

from django.db.models import Q, QuerySet

from tickets.models import Customer
from tickets.personal_data import PersonalDataHolder

from .models import AgentRating, FollowUp, Invitation, InvitationToken, RepeatCause, Response
from .services import customer_opt_out


def _responses(customer: Customer) -> QuerySet[Response]:
    return Response.objects.filter(
        Q(contact__customer=customer)
        | Q(ticket__customer=customer)
        | Q(invitation__customer=customer)
    ).distinct()


def _causes(customer: Customer) -> QuerySet[RepeatCause]:
    return RepeatCause.objects.filter(contact__customer=customer)


def _follow_ups(customer: Customer) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        Q(response__in=_responses(customer))
        | Q(repeat_cause__in=_causes(customer))
        | Q(contact__customer=customer)
    ).distinct()


def responses_export(customer: Customer) -> list[dict[str, Any]]:
    rows = list(
        _responses(customer)
        .order_by("responded_at", "pk")
        .values(
            "pk", "external_id", "contact__external_id", "ticket__external_id", "kind", "score",
            "comment", "resolved", "responded_at",
        )
    )  # fmt: skip
    reasons: dict[int, list[str]] = {}
    through = Response.low_score_reasons.through.objects.filter(
        response_id__in=[r["pk"] for r in rows]
    )
    for response_id, code in through.values_list("response_id", "lowscorereason__code"):
        reasons.setdefault(response_id, []).append(code)
    for row in rows:
        row["low_score_reasons"] = sorted(reasons.get(row.pop("pk"), []))
    return rows


def responses_erase(customer: Customer) -> int:
    return Response.objects.filter(pk__in=_responses(customer).exclude(comment="")).update(
        comment=""
    )


def causes_export(customer: Customer) -> list[dict[str, Any]]:
    return list(
        _causes(customer)
        .order_by("answered_at", "pk")
        .values("contact__external_id", "reporter", "code", "comment", "answered_at")
    )


def causes_erase(customer: Customer) -> int:
    return _causes(customer).exclude(comment="").update(comment="")


def ratings_export(customer: Customer) -> list[dict[str, Any]]:
    return list(
        AgentRating.objects.filter(contact__customer=customer)
        .order_by("rated_at", "pk")
        .values("contact__external_id", "agent__external_id", "score", "rated_at")
    )


def invitations_export(customer: Customer) -> list[dict[str, Any]]:
    return list(
        Invitation.objects.filter(customer=customer)
        .order_by("created_at", "pk")
        .values(
            "contact__external_id", "ticket__external_id", "delivery", "language", "status",
            "skip_reason", "created_at", "sent_at", "answered_at", "last_error",
        )
    )  # fmt: skip


def invitations_erase(customer: Customer) -> int:
    invitations = Invitation.objects.filter(customer=customer)
    InvitationToken.objects.filter(invitation__in=invitations).delete()
    cancelled = customer_opt_out(customer)
    # A delivery error may quote the address it was sent to.
    return cancelled + invitations.exclude(last_error="").update(last_error="")


def follow_ups_export(customer: Customer) -> list[dict[str, Any]]:
    return list(
        _follow_ups(customer)
        .order_by("created_at", "pk")
        .values("kind", "created_at", "handled_at", "note")
    )


def follow_ups_erase(customer: Customer) -> int:
    return FollowUp.objects.filter(pk__in=_follow_ups(customer).exclude(note="")).update(note="")


HOLDERS = [
    PersonalDataHolder("survey_responses", responses_export, responses_erase),
    PersonalDataHolder("repeat_causes", causes_export, causes_erase),
    PersonalDataHolder("agent_ratings", ratings_export, lambda customer: 0),
    PersonalDataHolder("survey_invitations", invitations_export, invitations_erase),
    PersonalDataHolder("follow_ups", follow_ups_export, follow_ups_erase),
]
