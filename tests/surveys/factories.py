"""Survey factories: policies and invitations on top of the default questionnaires (migration)."""

from datetime import timedelta
from importlib import import_module

import factory
from django.apps import apps
from django.utils import timezone

from surveys.models import Invitation, InvitationStatus, Questionnaire, SendingPolicy
from tests.factories import ContactFactory, CustomerFactory


def questionnaire(name: str = "CSAT") -> Questionnaire:
    """One of the questionnaires the data migration creates: NPS, CSAT, CES, Repeat contact.

    A transactional test's flush removes them; they are then created again the same way.
    """
    found = Questionnaire.objects.filter(name=name).first()
    if found is None:
        defaults = import_module("surveys.migrations.0003_default_questionnaires")
        defaults.create_defaults(apps, None)
        found = Questionnaire.objects.get(name=name)
    return found


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SendingPolicy

    name = factory.Sequence(lambda n: f"policy {n}")
    is_active = True
    trigger = "contact_handled"
    questionnaire = factory.LazyFunction(questionnaire)
    delay_minutes = 60
    # No quiet hours unless a test wants them: the clock of the machine must not matter.
    quiet_start = "00:00"
    quiet_end = "00:00"


class InvitationFactory(factory.django.DjangoModelFactory):
    """A sent invitation about a handled contact, open for a week."""

    class Meta:
        model = Invitation

    questionnaire = factory.LazyFunction(questionnaire)
    contact = factory.SubFactory(
        ContactFactory,
        started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2)),
        answered_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2)),
    )
    customer = factory.LazyAttribute(lambda o: o.contact.customer if o.contact else None)
    ticket = factory.LazyAttribute(lambda o: o.contact.ticket if o.contact else None)
    agent = factory.LazyAttribute(lambda o: o.contact.agent if o.contact else None)
    team = factory.LazyAttribute(lambda o: o.contact.team if o.contact else None)
    channel = "phone"
    delivery = "email"
    language = "fr"
    status = InvitationStatus.SENT
    send_after = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    sent_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


__all__ = ["CustomerFactory", "InvitationFactory", "PolicyFactory", "questionnaire"]
