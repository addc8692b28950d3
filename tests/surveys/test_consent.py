"""A customer who said stop is never written to again, at every step.

Opting out (the one-click POST or the unsubscribe page) and erasing a customer's personal data
both stop the survey decision, the delivery claim, the reminder claim, the sending itself, the
link the helpdesk fetches and the answer. Each step asks the one rule,
`tickets.models.MAY_CONTACT`; an opt-out recorded elsewhere (the admin sets `opted_out_at`)
is seen by each step too.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.decisions import invitations_decide_for_contacts
from surveys.delivery import claims
from surveys.models import Invitation, InvitationStatus, RepeatCause, Response, SkipReason
from surveys.services import customer_opt_out
from surveys.tasks import invitations_send_batch
from surveys.tokens import token_issue
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.factories import InvitationFactory, PolicyFactory, questionnaire
from tickets.models import Customer
from tickets.personal_data import customer_erase
from tickets.tokens import api_token_create

pytestmark = pytest.mark.django_db


class Queue:
    """Stands in for the broker: records each queued batch, runs them on demand."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[int], str, str]] = []

    def __call__(self, ids: list[int], claim: str, kind: str) -> None:
        self.batches.append((ids, claim, kind))

    def run(self) -> None:
        for ids, claim, kind in self.batches:
            invitations_send_batch.apply(args=[ids, claim, kind])


def pending(**kwargs) -> Invitation:
    kwargs.setdefault("send_after", timezone.now() - timedelta(minutes=1))
    return InvitationFactory(
        status=InvitationStatus.PENDING, sent_at=None, expires_at=None, **kwargs
    )


def sent_with_reminder_due(**kwargs) -> Invitation:
    now = timezone.now()
    return InvitationFactory(
        status=InvitationStatus.SENT,
        sent_at=now - timedelta(days=4),
        reminder_due_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=3),
        **kwargs,
    )


def opt_out_in_the_admin(customer: Customer) -> None:
    """What ticking the customer's opt-out in the admin does: the field alone."""
    Customer.objects.filter(pk=customer.pk).update(opted_out_at=timezone.now())


def one_click_unsubscribe(invitation: Invitation) -> None:
    url = reverse("surveys:unsubscribe", args=[token_issue(invitation, "unsubscribe")])
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200


# --- The rule -------------------------------------------------------------------------------


def test_the_rule_says_who_may_be_contacted():
    free, stopped = CustomerFactory(), CustomerFactory(opted_out_at=timezone.now())

    assert list(Customer.objects.may_contact()) == [free]
    assert (free.may_contact, stopped.may_contact) == (True, False)


# --- Decision -------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["opt_out", "erasure"])
def test_a_customer_who_said_stop_is_not_asked_for_a_new_contact(how):
    PolicyFactory(delay_minutes=0)
    customer = CustomerFactory()
    if how == "opt_out":
        customer_opt_out(customer)
    else:
        customer_erase(customer)
    contact = ContactFactory(customer=customer, answered_at=timezone.now())

    invitations_decide_for_contacts([contact.pk], [])

    invitation = Invitation.objects.get(contact=contact)
    assert (invitation.status, invitation.skip_reason) == ("skipped", SkipReason.OPTED_OUT)


# --- Delivery claim -------------------------------------------------------------------------


def test_an_opt_out_recorded_after_the_decision_stops_the_claim(django_capture_on_commit_callbacks):
    stopped, other = pending(), pending()
    opt_out_in_the_admin(stopped.customer)
    queue = Queue()

    with django_capture_on_commit_callbacks(execute=True):
        queued = claims.invitations_dispatch(queue)
    queue.run()

    assert queued == 1
    assert [m.to for m in mail.outbox] == [[other.customer.email]]
    stopped.refresh_from_db()
    assert (stopped.status, stopped.skip_reason) == ("cancelled", SkipReason.OPTED_OUT)
    assert stopped.claim is None


def test_a_whole_batch_of_opted_out_customers_does_not_stop_the_claim(
    settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_BATCH_SIZE = 2
    stopped = [pending(send_after=timezone.now() - timedelta(hours=2)) for _ in range(2)]
    for invitation in stopped:
        opt_out_in_the_admin(invitation.customer)
    later = pending()
    queue = Queue()

    with django_capture_on_commit_callbacks(execute=True):
        queued = claims.invitations_dispatch(queue)

    assert queued == 1
    assert queue.batches[0][0] == [later.pk]


# --- Reminder -------------------------------------------------------------------------------


def test_unsubscribing_stops_the_reminder_of_a_survey_already_sent(
    django_capture_on_commit_callbacks,
):
    invitation = sent_with_reminder_due()
    one_click_unsubscribe(invitation)
    queue = Queue()

    with django_capture_on_commit_callbacks(execute=True):
        queued = claims.reminders_dispatch(queue)
    queue.run()

    assert queued == 0
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT  # It was sent: the figures keep it.
    assert (invitation.reminder_due_at, invitation.reminded_at) == (None, None)


def test_an_opt_out_recorded_in_the_admin_stops_the_reminder(django_capture_on_commit_callbacks):
    stopped, other = sent_with_reminder_due(), sent_with_reminder_due()
    opt_out_in_the_admin(stopped.customer)
    queue = Queue()

    with django_capture_on_commit_callbacks(execute=True):
        queued = claims.reminders_dispatch(queue)
    queue.run()

    assert queued == 1
    assert [m.to for m in mail.outbox] == [[other.customer.email]]
    stopped.refresh_from_db()
    assert (stopped.reminder_due_at, stopped.reminded_at, stopped.claim) == (None, None, None)


# --- Sending --------------------------------------------------------------------------------


def test_a_customer_who_unsubscribes_after_the_claim_is_not_sent_the_survey(
    django_capture_on_commit_callbacks,
):
    invitation = pending()
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitations_dispatch(queue)
    earlier = InvitationFactory(contact__customer=invitation.customer)

    one_click_unsubscribe(earlier)
    queue.run()

    assert mail.outbox == []
    invitation.refresh_from_db()
    assert (invitation.status, invitation.skip_reason) == ("cancelled", SkipReason.OPTED_OUT)
    assert (invitation.sent_at, invitation.claim) == (None, None)


def test_the_sending_asks_again_just_before_handing_each_message_over(
    django_capture_on_commit_callbacks,
):
    # Three in one batch: the second is stamped by the statement that confirms the first.
    first, stopped, third = pending(), pending(), pending()
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitations_dispatch(queue)

    opt_out_in_the_admin(stopped.customer)  # After the claim, before the worker runs.
    [(ids, claim, kind)] = queue.batches
    report = invitations_send_batch.apply(args=[ids, claim, kind]).get()

    assert (report["sent"], report["withheld"]) == (2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [first.customer.email, third.customer.email]
    )
    stopped.refresh_from_db()
    assert (stopped.status, stopped.skip_reason) == ("cancelled", SkipReason.OPTED_OUT)
    assert (stopped.sent_at, stopped.claim) == (None, None)
    for invitation in (first, third):
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.SENT


def test_the_reminder_is_not_sent_to_a_customer_who_opted_out_after_its_claim(
    django_capture_on_commit_callbacks,
):
    invitation = sent_with_reminder_due()
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        claims.reminders_dispatch(queue)

    opt_out_in_the_admin(invitation.customer)
    queue.run()

    assert mail.outbox == []
    invitation.refresh_from_db()
    assert (invitation.reminded_at, invitation.reminder_due_at, invitation.claim) == (
        None,
        None,
        None,
    )


# --- Link issuing ---------------------------------------------------------------------------


@pytest.fixture
def helpdesk() -> APIClient:
    _token, raw = api_token_create(
        name="helpdesk", user=User.objects.create_user("helpdesk"), scopes=["survey_links"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def link_invitation(**kwargs) -> Invitation:
    return InvitationFactory(delivery="link", **kwargs)


@pytest.mark.parametrize("how", ["opt_out", "erasure"])
def test_the_link_endpoint_refuses_a_new_link_for_a_customer_who_said_stop(helpdesk, how):
    sent = link_invitation()  # Its link was posted in the chat before the customer said stop.
    waiting = link_invitation(
        status=InvitationStatus.PENDING, sent_at=None, contact__customer=sent.customer
    )
    tickets = [sent.ticket.external_id, waiting.ticket.external_id]
    if how == "opt_out":
        one_click_unsubscribe(sent)
    else:
        customer_erase(sent.customer)

    answers = [helpdesk.get(f"/api/v1/invitations/{i.pk}/link/") for i in (sent, waiting)]
    answers += [helpdesk.get("/api/v1/invitations/link/", {"ticket": t}) for t in tickets]

    for answer in answers:
        assert answer.status_code == 409
        assert "opted out" in answer.json()["detail"]
    assert not sent.tokens.filter(purpose="answer").exists()
    sent.refresh_from_db()
    assert sent.status == InvitationStatus.SENT


# --- Answering ------------------------------------------------------------------------------


@pytest.fixture
def webhook_on(settings):
    settings.RESPONSE_WEBHOOK_URL = "http://127.0.0.1:9/hooks"
    settings.RESPONSE_WEBHOOK_SECRET = "whsec"


def test_an_old_link_of_a_customer_who_unsubscribed_records_nothing(
    client, webhook_on, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"), language="en")
    url = reverse("surveys:answer", args=[token_issue(invitation, "answer")])
    assert client.get(url).status_code == 200  # Opened before unsubscribing...
    one_click_unsubscribe(invitation)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        posted = client.post(url, {"score": "2"})  # ...sent after.
    opened = client.get(url + "?score=2")

    assert posted.status_code == opened.status_code == 410
    for page in (posted, opened):
        assert "You no longer receive our surveys" in page.content.decode()
    assert not Response.objects.exists()
    assert callbacks == []  # No webhook, no alert.
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_the_repeat_question_and_the_details_record_nothing_after_an_opt_out(client, webhook_on):
    repeat = InvitationFactory(questionnaire=questionnaire("Repeat contact"), language="fr")
    nps = InvitationFactory(questionnaire=questionnaire("NPS"), language="fr")
    answer = client.post(
        reverse("surveys:answer", args=[(token := token_issue(nps, "answer"))]), {"score": "9"}
    )
    assert answer.status_code == 302
    repeat_url = reverse("surveys:answer", args=[token_issue(repeat, "answer")])
    for invitation in (repeat, nps):
        opt_out_in_the_admin(invitation.customer)

    cause = client.post(repeat_url, {"cause": "other", "comment": "Still waiting"})
    details = client.post(
        reverse("surveys:details", args=[token]), {"resolved": "no", "comment": "Too slow"}
    )

    assert cause.status_code == details.status_code == 410
    assert "Vous ne recevez plus nos enquêtes" in cause.content.decode()
    assert not RepeatCause.objects.exists()
    assert Response.objects.get().comment == ""
