"""The survey side of `make demo`: one active policy per kind, in French, and the surveys of
the last days decided and sent through the real code, so that a newcomer finds them in the
demo's mailbox (surveys.mailbox).

The sample history is imported, and an import is never surveyed (surveys.decisions): the
contacts and tickets of the last days are handed to the decisions as a helpdesk would have
announced them, then the due invitations are claimed and sent as the beat would send them.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tickets.models import Contact, Ticket

from . import decisions
from .delivery import claims, sending
from .models import Delivery, QuestionKind, Questionnaire, SendingPolicy, Trigger

# (name, trigger, questionnaire kind, position): the repeat-contact question first, so that a
# repeat contact gets it rather than the NPS of any contact.
DEMO_POLICIES = [
    ("Question du contact répété", Trigger.REPEAT_CONTACT, QuestionKind.REPEAT, 0),
    ("CSAT après un ticket résolu", Trigger.TICKET_SOLVED, QuestionKind.CSAT, 10),
    ("NPS après un contact", Trigger.CONTACT_HANDLED, QuestionKind.NPS, 20),
]
RECENT_DAYS = 3


@transaction.atomic
def demo_policies_ensure() -> list[SendingPolicy]:
    """One active email policy per trigger; the shipped ones are taken over (renamed)."""
    policies = []
    for name, trigger, kind, position in DEMO_POLICIES:
        questionnaire = Questionnaire.objects.filter(kind=kind, is_active=True).first()
        if questionnaire is None:
            continue
        policy = (
            SendingPolicy.objects.filter(name=name).first()
            or SendingPolicy.objects.filter(trigger=trigger).order_by("position", "pk").first()
            or SendingPolicy(trigger=trigger, questionnaire=questionnaire)
        )
        policy.name, policy.position, policy.questionnaire = name, position, questionnaire
        policy.is_active, policy.delivery, policy.delay_minutes = True, Delivery.EMAIL, 30
        policy.save()
        policies.append(policy)
    return policies


def demo_surveys_send(days: int = RECENT_DAYS) -> dict[str, int]:
    """Decide the surveys of the last `days` and send those due; counts of each step."""
    since = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        contact_ids = list(
            Contact.objects.filter(started_at__gte=since, invitations__isnull=True)
            .order_by("started_at")
            .values_list("pk", flat=True)
        )
        ticket_ids = list(
            Ticket.objects.filter(solved_at__gte=since, invitations__isnull=True)
            .order_by("solved_at")
            .values_list("pk", flat=True)
        )
        decided = len(decisions.invitations_decide_for_contacts(contact_ids, []))
        decided += len(decisions.invitations_decide_for_tickets(ticket_ids))

    # The beat's claim, and the send task's work done here rather than by a worker.
    def send_now(ids: list[int], claim: str, kind: str) -> None:
        sending.batch_send(ids, claim, kind)

    sent = claims.invitations_dispatch(send_now)
    return {"decided": decided, "sent": sent}
