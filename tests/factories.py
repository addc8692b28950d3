"""factory_boy factories: each creates only what a test needs."""

from datetime import UTC, datetime

import factory

from tickets.models import Agent, Contact, Customer, Team, Ticket


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"team_{n}")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"agent_{n}")
    team = factory.SubFactory(TeamFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"cust_{n}")
    email = factory.LazyAttribute(lambda o: f"{o.external_id}@example.com")
    language = "fr"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    external_id = factory.Sequence(lambda n: f"T{n}")
    customer = factory.SubFactory(CustomerFactory)
    reason = "billing"
    created_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    external_id = factory.Sequence(lambda n: f"C{n}")
    ticket = factory.SubFactory(TicketFactory)
    customer = factory.LazyAttribute(lambda o: o.ticket.customer)
    channel = "phone"
    reason = "billing"
    direction = "inbound"
    agent = factory.SubFactory(AgentFactory)
    team = factory.LazyAttribute(lambda o: o.agent.team if o.agent else None)
    started_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
