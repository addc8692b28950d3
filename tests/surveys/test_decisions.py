"""Who is asked, with what, and when: the decision made as history arrives."""

import math
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from surveys import decisions
from surveys.models import Invitation, InvitationStatus, SkipReason
from surveys.receivers import on_contact_recorded, on_ticket_solved
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, TicketFactory
from tests.surveys.factories import InvitationFactory, PolicyFactory, questionnaire
from tickets.models import Contact, Customer
from tickets.records import ContactRecord, TicketRecord
from tickets.services import contacts_upsert, tickets_upsert

pytestmark = pytest.mark.django_db


def record_contact(external_id="live_1", customer="cust_1", **extra) -> Contact:
    """Push one contact through the real way in (tickets.services), as the API does."""
    started = extra.pop("started_at", timezone.now() - timedelta(minutes=30))
    source = extra.pop("source", "api")
    fields = {
        "channel": "phone",
        "reason": "billing",
        "direction": "inbound",
        "ticket": f"T-{external_id}",
        "agent": "agent_1",
        "team": "team_1",
        "answered_at": started + timedelta(seconds=20),
        **extra,
    }
    contacts_upsert(
        [ContactRecord(external_id=external_id, customer=customer, started_at=started, **fields)],
        source=source,
    )
    return Contact.objects.get(external_id=external_id)


def only_invitation() -> Invitation:
    (invitation,) = Invitation.objects.all()
    return invitation


# --- Asking ---------------------------------------------------------------------------------


def test_a_handled_contact_is_asked_after_the_delay_with_who_handled_it():
    CustomerFactory(external_id="cust_1", language="en")
    PolicyFactory(delay_minutes=90)

    contact = record_contact()

    invitation = only_invitation()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.send_after == contact.answered_at + timedelta(minutes=90)
    assert (invitation.contact, invitation.ticket) == (contact, contact.ticket)
    assert (invitation.agent, invitation.team) == (contact.agent, contact.team)
    assert invitation.channel == "phone"
    assert invitation.language == "en"
    assert invitation.expires_at == invitation.send_after + timedelta(days=7)


def test_no_active_policy_means_nobody_is_asked():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(is_active=False)

    record_contact()

    assert not Invitation.objects.exists()


def test_the_default_policies_are_shipped_inactive():
    from surveys.models import SendingPolicy

    assert SendingPolicy.objects.count() == 2
    assert not SendingPolicy.objects.filter(is_active=True).exists()


def test_history_import_is_never_surveyed_and_costs_no_query(django_assert_num_queries):
    CustomerFactory(external_id="cust_1")
    PolicyFactory()

    record_contact(source="import")
    with django_assert_num_queries(0):
        on_contact_recorded(Contact, created=range(1_000_000), updated=[], source="import")
        on_ticket_solved(Contact, ticket_ids=range(1_000_000), source="import")

    assert not Invitation.objects.exists()


def test_a_contact_still_waiting_for_an_agent_is_decided_once_it_is_answered():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()
    started = timezone.now() - timedelta(minutes=30)

    record_contact(channel="email", answered_at=None, started_at=started)
    assert not Invitation.objects.exists()
    record_contact(channel="email", answered_at=started + timedelta(minutes=5), started_at=started)
    record_contact(channel="email", answered_at=started + timedelta(minutes=6), started_at=started)

    assert only_invitation().status == InvitationStatus.PENDING


def test_history_pushed_too_late_to_ask_is_not_decided():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(expire_after_days=7)

    record_contact(started_at=timezone.now() - timedelta(days=30))

    assert not Invitation.objects.exists()


def test_a_solved_ticket_is_asked_about_its_last_handled_contact():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(trigger="ticket_solved", questionnaire=questionnaire("NPS"))
    contact = record_contact()
    solved_at = timezone.now() - timedelta(minutes=5)

    tickets_upsert(
        [
            TicketRecord(
                external_id=contact.ticket.external_id,
                customer="cust_1",
                reason="billing",
                created_at=contact.started_at,
                solved_at=solved_at,
            )
        ]
    )

    invitation = only_invitation()
    assert invitation.questionnaire.kind == "nps"
    assert invitation.send_after == solved_at + timedelta(minutes=60)
    assert (invitation.contact, invitation.agent, invitation.team) == (
        contact,
        contact.agent,
        contact.team,
    )


def test_a_repeat_contact_gets_the_repeat_question_when_that_policy_comes_first():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(position=10)
    PolicyFactory(trigger="repeat_contact", questionnaire=questionnaire("Repeat contact"))
    now = timezone.now()

    record_contact("live_1", started_at=now - timedelta(days=2))
    Invitation.objects.all().delete()
    record_contact("live_2", started_at=now - timedelta(minutes=30))

    invitation = only_invitation()
    assert invitation.contact.is_repeat
    assert invitation.questionnaire.kind == "repeat"


@pytest.mark.parametrize(
    ("policy", "contact", "asked"),
    [
        ({"channels": ["chat"]}, {"channel": "phone"}, False),
        ({"channels": ["chat", "phone"]}, {"channel": "phone"}, True),
        ({"reasons": ["delivery"]}, {"reason": "billing"}, False),
        ({"reasons": ["billing"]}, {"reason": "billing"}, True),
    ],
)
def test_a_policy_covers_only_its_channels_and_reasons(policy, contact, asked):
    CustomerFactory(external_id="cust_1")
    PolicyFactory(**policy)

    record_contact(**contact)

    assert Invitation.objects.exists() is asked


def test_a_policy_covers_only_its_teams():
    CustomerFactory(external_id="cust_1")
    PolicyFactory().teams.add(TeamFactory(external_id="team_other"))

    record_contact(team="team_1")
    assert not Invitation.objects.exists()
    record_contact("live_2", customer="cust_1", team="team_other")
    assert only_invitation().team.external_id == "team_other"


# --- Not asking, and saying why -------------------------------------------------------------


def test_an_opted_out_customer_is_not_asked():
    CustomerFactory(external_id="cust_1", opted_out_at=timezone.now() - timedelta(days=3))
    PolicyFactory()

    record_contact()

    assert only_invitation().skip_reason == SkipReason.OPTED_OUT
    assert only_invitation().status == InvitationStatus.SKIPPED


@pytest.mark.parametrize(
    ("delivery", "customer", "skip_reason"),
    [
        ("email", {"email": ""}, SkipReason.NO_ADDRESS),
        ("sms", {"phone": ""}, SkipReason.NO_ADDRESS),
        ("sms", {"phone": "+33600000000"}, ""),
        ("link", {"email": "", "phone": ""}, ""),
    ],
)
def test_a_customer_without_an_address_for_the_delivery_is_not_asked(
    delivery, customer, skip_reason
):
    CustomerFactory(external_id="cust_1", **customer)
    PolicyFactory(delivery=delivery)

    record_contact()

    assert only_invitation().skip_reason == skip_reason


def test_an_abandoned_call_is_not_asked():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()

    record_contact(answered_at=None)

    assert only_invitation().skip_reason == SkipReason.ABANDONED


@pytest.mark.parametrize(("include_outbound", "skip_reason"), [(False, "outbound"), (True, "")])
def test_an_outbound_contact_is_asked_only_when_the_policy_says_so(include_outbound, skip_reason):
    CustomerFactory(external_id="cust_1")
    PolicyFactory(include_outbound=include_outbound)

    record_contact(direction="outbound")

    assert only_invitation().skip_reason == skip_reason


def test_a_contact_marked_do_not_survey_is_not_asked():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()

    record_contact(do_not_survey=True)

    assert only_invitation().skip_reason == SkipReason.DO_NOT_SURVEY


@pytest.mark.parametrize(
    ("asked_days_ago", "status"),
    [(10, InvitationStatus.SENT), (10, InvitationStatus.ANSWERED), (29, InvitationStatus.EXPIRED)],
)
def test_a_customer_asked_within_the_throttle_window_by_any_policy_is_not_asked(
    asked_days_ago, status
):
    customer = CustomerFactory(external_id="cust_1")
    other_policy = PolicyFactory(trigger="ticket_solved", questionnaire=questionnaire("NPS"))
    when = timezone.now() - timedelta(days=asked_days_ago)
    InvitationFactory(
        contact__customer=customer,
        contact__ticket__customer=customer,
        policy=other_policy,
        status=status,
        send_after=when,
    )
    PolicyFactory(throttle_days=30)

    record_contact()

    assert Invitation.objects.latest("pk").skip_reason == SkipReason.THROTTLED


def test_a_customer_asked_before_the_window_or_not_really_asked_is_asked_again():
    customer = CustomerFactory(external_id="cust_1")
    old = timezone.now() - timedelta(days=40)
    InvitationFactory(contact__customer=customer, contact__ticket__customer=customer,
                      send_after=old)  # fmt: skip
    InvitationFactory(
        contact__customer=customer,
        contact__ticket__customer=customer,
        status=InvitationStatus.SKIPPED,
        skip_reason=SkipReason.SAMPLED_OUT,
    )
    PolicyFactory(throttle_days=30)

    record_contact()

    assert Invitation.objects.latest("pk").status == InvitationStatus.PENDING


def test_a_batch_asks_each_customer_once():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()
    started = timezone.now() - timedelta(minutes=30)

    contacts_upsert(
        [
            ContactRecord(
                external_id=f"C{i}",
                customer="cust_1",
                channel="chat",
                reason=f"reason {i}",
                direction="outbound" if i == 2 else "inbound",
                started_at=started,
                answered_at=started + timedelta(minutes=i),
                ticket=f"T{i}",
            )
            for i in range(3)
        ]
    )

    statuses = sorted(Invitation.objects.values_list("status", "skip_reason"))
    assert statuses == [("pending", ""), ("skipped", "outbound"), ("skipped", "throttled")]


def handled_contacts(count: int) -> list[Contact]:
    """`count` handled contacts from as many customers, written in two statements."""
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"bulk_{i}", email=f"bulk_{i}@example.com") for i in range(count)
    )
    return Contact.objects.bulk_create(
        Contact(
            external_id=f"B{i}",
            customer=customer,
            channel="chat",
            reason="billing",
            direction="inbound",
            started_at=now - timedelta(minutes=10),
            answered_at=now - timedelta(minutes=9),
        )
        for i, customer in enumerate(customers)
    )


def test_sampling_is_a_deterministic_draw_close_to_the_rate():
    policy = PolicyFactory(sampling_rate=Decimal("0.25"))
    contacts = handled_contacts(400)

    decisions.invitations_decide_for_contacts([c.pk for c in contacts], [])

    sampled_out = Invitation.objects.filter(skip_reason=SkipReason.SAMPLED_OUT)
    assert 60 <= Invitation.objects.filter(status="pending").count() <= 140
    assert sampled_out.count() + Invitation.objects.filter(status="pending").count() == 400
    # The same draw decides the same way: a replay or a retry does not change who is asked.
    for invitation in sampled_out[:20]:
        key = f"contact:{invitation.contact_id}"
        assert not decisions.sampled_in(policy.pk, key, policy.sampling_rate)


@pytest.mark.parametrize(("rate", "asked"), [(Decimal(0), 0), (Decimal(1), 50)])
def test_sampling_at_zero_asks_nobody_and_at_one_everybody(rate, asked):
    PolicyFactory(sampling_rate=rate)
    contacts = handled_contacts(50)

    decisions.invitations_decide_for_contacts([c.pk for c in contacts], [])

    assert Invitation.objects.filter(status="pending").count() == asked


# --- Quiet hours ----------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        # Before the quiet hours: unchanged.
        (datetime(2026, 6, 10, 20, 59), datetime(2026, 6, 10, 20, 59)),
        # In the evening: next morning.
        (datetime(2026, 6, 10, 21, 0), datetime(2026, 6, 11, 8, 0)),
        # After midnight: the same morning.
        (datetime(2026, 6, 11, 3, 0), datetime(2026, 6, 11, 8, 0)),
        (datetime(2026, 6, 11, 8, 0), datetime(2026, 6, 11, 8, 0)),
    ],
)
def test_quiet_hours_push_to_the_morning_in_local_time(local, expected_local):
    pushed = decisions.quiet_hours_push(
        local.replace(tzinfo=PARIS).astimezone(UTC), PARIS, time(21), time(8)
    )

    assert pushed == expected_local.replace(tzinfo=PARIS)


def test_quiet_hours_across_the_spring_dst_change_end_at_eight_summer_time():
    # The night of 28-29 March 2026, Paris goes from UTC+1 to UTC+2 at 02:00.
    evening = datetime(2026, 3, 28, 23, 30, tzinfo=PARIS)

    pushed = decisions.quiet_hours_push(evening.astimezone(UTC), PARIS, time(21), time(8))

    assert pushed == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST, not 07:00 UTC


def test_quiet_hours_across_the_autumn_dst_change_end_at_eight_winter_time():
    evening = datetime(2026, 10, 24, 22, 0, tzinfo=PARIS)

    pushed = decisions.quiet_hours_push(evening.astimezone(UTC), PARIS, time(21), time(8))

    assert pushed == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_a_quiet_end_inside_the_spring_gap_lands_after_the_gap():
    night = datetime(2026, 3, 29, 1, 0, tzinfo=PARIS)

    pushed = decisions.quiet_hours_push(night.astimezone(UTC), PARIS, time(0), time(2, 30))

    assert pushed.astimezone(PARIS).hour == 3
    assert pushed > night


def test_no_quiet_hours_when_start_equals_end():
    when = datetime(2026, 6, 10, 23, 0, tzinfo=UTC)

    assert decisions.quiet_hours_push(when, PARIS, time(0), time(0)) == when


def test_the_decision_uses_the_customers_time_zone_and_falls_back_to_the_service_one():
    now = timezone.now()
    # A contact answered now, asked 60 minutes later: choose quiet hours around that moment
    # in New York, so that only the customer's own clock can put it inside them.
    due_local = (now + timedelta(minutes=60)).astimezone(NEW_YORK)
    start = (due_local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (due_local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    PolicyFactory(quiet_start=start, quiet_end=end)
    CustomerFactory(external_id="cust_ny", timezone="America/New_York")
    CustomerFactory(external_id="cust_bad", timezone="Not/AZone")

    record_contact("live_1", customer="cust_ny", started_at=now - timedelta(seconds=20))
    record_contact("live_2", customer="cust_bad", started_at=now - timedelta(seconds=20))

    ny = Invitation.objects.get(customer__external_id="cust_ny")
    assert ny.send_after.astimezone(NEW_YORK).time().replace(second=0) == end.replace(second=0)
    assert decisions.customer_zone("Not/AZone") == ZoneInfo("Europe/Paris")


# --- One survey per ticket episode ----------------------------------------------------------


def test_a_reopened_ticket_cancels_its_pending_survey():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(trigger="ticket_solved")
    contact = record_contact()
    ticket = {
        "external_id": contact.ticket.external_id,
        "customer": "cust_1",
        "reason": "billing",
        "created_at": contact.started_at,
    }
    tickets_upsert([TicketRecord(**ticket, solved_at=timezone.now())])
    assert only_invitation().status == InvitationStatus.PENDING

    tickets_upsert([TicketRecord(**ticket, solved_at=None)])

    invitation = only_invitation()
    assert (invitation.status, invitation.skip_reason) == ("cancelled", SkipReason.REOPENED)


def test_a_sent_survey_is_not_cancelled_by_a_reopen():
    customer = CustomerFactory(external_id="cust_1")
    invitation = InvitationFactory(contact__customer=customer, contact__ticket__customer=customer)

    decisions.invitations_cancel_for_reopened([invitation.ticket_id])

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_a_new_contact_cancels_the_pending_survey_and_is_asked_instead():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()
    now = timezone.now()
    first = record_contact("live_1", started_at=now - timedelta(minutes=40))

    second = record_contact("live_2", started_at=now - timedelta(minutes=10), reason="delivery")

    cancelled = Invitation.objects.get(contact=first)
    assert (cancelled.status, cancelled.skip_reason) == ("cancelled", SkipReason.RECONTACTED)
    assert Invitation.objects.get(contact=second).status == InvitationStatus.PENDING


def test_a_new_contact_in_the_same_batch_supersedes_the_earlier_one():
    CustomerFactory(external_id="cust_1")
    PolicyFactory()
    now = timezone.now()
    rows = [
        ContactRecord(
            external_id=f"C{i}",
            customer="cust_1",
            channel="chat",
            reason="billing",
            direction="inbound",
            started_at=now - timedelta(minutes=40 - 20 * i),
            answered_at=now - timedelta(minutes=39 - 20 * i),
            ticket="T1",
        )
        for i in range(2)
    ]

    contacts_upsert(rows)

    by_contact = dict(Invitation.objects.values_list("contact__external_id", "skip_reason"))
    assert by_contact == {"C0": SkipReason.RECONTACTED, "C1": ""}


# --- Cost -----------------------------------------------------------------------------------


def insert_batches(rows: int) -> int:
    """INSERT statements bulk_create needs for `rows` invitations: one or two on PostgreSQL,
    a few dozen on SQLite, which caps the parameters of one statement."""
    fields = [f for f in Invitation._meta.concrete_fields if not f.primary_key]
    size = min(500, connection.ops.bulk_batch_size(fields, [None] * rows))
    return math.ceil(rows / size)


def test_a_batch_of_a_thousand_contacts_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    PolicyFactory()
    PolicyFactory(trigger="repeat_contact", questionnaire=questionnaire("Repeat contact"))
    now = timezone.now()
    customers = CustomerFactory.create_batch(50)
    contacts = Contact.objects.bulk_create(
        Contact(
            external_id=f"B{i}",
            customer=customers[i % 50],
            channel="chat",
            reason="billing",
            direction="inbound",
            started_at=now - timedelta(minutes=30),
            answered_at=now - timedelta(minutes=29),
        )
        for i in range(1000)
    )

    with django_assert_max_num_queries(5 + insert_batches(1000)):
        decisions.invitations_decide_for_contacts([c.pk for c in contacts], [])

    assert Invitation.objects.count() == 1000
    assert Invitation.objects.filter(status="pending").count() == 50


def test_solved_tickets_are_decided_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    PolicyFactory(trigger="ticket_solved")
    tickets = TicketFactory.create_batch(
        200, solved_at=timezone.now() - timedelta(minutes=1), created_at=timezone.now()
    )
    for ticket in tickets:
        ContactFactory(ticket=ticket, answered_at=ticket.created_at, started_at=ticket.created_at)

    with django_assert_max_num_queries(5 + insert_batches(200)):
        decisions.invitations_decide_for_tickets([t.pk for t in tickets])

    assert Invitation.objects.filter(status="pending").count() == 200


# --- Wiring ---------------------------------------------------------------------------------


def test_contacts_posted_to_the_api_are_decided_in_the_same_request():
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from tickets.tokens import api_token_create

    PolicyFactory()
    _token, raw = api_token_create(
        name="Helpdesk", user=User.objects.create_user("bot"), scopes=["history:write"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    started = timezone.now() - timedelta(minutes=20)

    response = client.post(
        "/api/v1/contacts/",
        {
            "contact_id": "API-1",
            "ticket_id": "T-API-1",
            "customer_id": "CU-API",
            "customer_email": "cu-api@example.com",
            "channel": "chat",
            "reason": "billing",
            "agent_id": "A-1",
            "team": "lyon",
            "direction": "inbound",
            "started_at": started.isoformat(),
            "answered_at": (started + timedelta(seconds=30)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    invitation = only_invitation()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.contact.external_id == "API-1"
    assert invitation.agent.external_id == "A-1"
