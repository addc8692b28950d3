"""The customer's pages: a GET never records, a POST does, once per invitation."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import (
    FollowUp,
    Invitation,
    InvitationStatus,
    RepeatCause,
    Reporter,
    Response,
    SkipReason,
)
from surveys.services import response_record
from surveys.tokens import token_issue, token_resolve
from tests.surveys.factories import InvitationFactory, questionnaire

pytestmark = pytest.mark.django_db


def answer_url(invitation: Invitation, **params) -> str:
    url = reverse("surveys:answer", args=[token_issue(invitation, "answer")])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


@pytest.fixture
def invitation() -> Invitation:
    return InvitationFactory(questionnaire=questionnaire("NPS"), language="fr")


# --- A GET never records --------------------------------------------------------------------


def test_a_score_link_preselects_the_score_and_records_nothing(client, invitation):
    response = client.get(answer_url(invitation, score=8))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="8" checked' in html
    assert html.count(" checked") == 1
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_a_scanner_opening_every_score_link_records_nothing(client, invitation):
    token = token_issue(invitation, "answer")
    url = reverse("surveys:answer", args=[token])

    for score in range(11):
        assert client.get(f"{url}?score={score}").status_code == 200
        assert client.head(f"{url}?score={score}").status_code == 200
    for page in ("surveys:details", "surveys:thanks"):
        client.get(reverse(page, args=[token]))

    assert not Response.objects.exists()
    assert Invitation.objects.get().status == InvitationStatus.SENT


def test_the_page_is_an_accessible_form_with_a_labelled_scale(client, invitation):
    html = client.get(answer_url(invitation)).content.decode()

    assert "<fieldset" in html and "<legend>" in html
    assert html.count('type="radio" name="score"') == 11
    for score in range(11):
        assert f'<label for="score-{score}">' in html
    assert "Pas du tout probable" in html or "Not at all likely" in html
    assert 'method="post"' in html


# --- A POST records, once -------------------------------------------------------------------


def test_posting_a_score_records_it_and_offers_the_follow_up_questions(client, invitation):
    url = answer_url(invitation)

    response = client.post(url, {"score": "3", "lang": "fr"})

    assert response.status_code == 302
    assert "/more/" in response["Location"]
    answer = Response.objects.get()
    assert (answer.kind, answer.score, answer.scale_min, answer.scale_max) == ("nps", 3, 0, 10)
    assert answer.invitation == invitation
    assert answer.contact == invitation.contact
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.answered_at is not None


def test_a_second_answer_changes_the_score_not_the_count(client, invitation):
    url = answer_url(invitation)

    client.post(url, {"score": "3"})
    first_answered_at = Invitation.objects.get().answered_at
    client.post(url, {"score": "9"})
    client.post(url, {"score": "9"})

    assert Response.objects.count() == 1
    assert Response.objects.get().score == 9
    assert Invitation.objects.get().answered_at == first_answered_at


def test_the_page_shows_the_recorded_answer_to_change_it(client, invitation):
    url = answer_url(invitation)
    client.post(url, {"score": "7"})

    html = client.get(url).content.decode()

    assert 'value="7" checked' in html


def test_follow_up_answers_are_stored_with_reasons_only_for_a_low_score(client, invitation):
    token = token_issue(invitation, "answer")
    client.post(reverse("surveys:answer", args=[token]), {"score": "2"})
    details = reverse("surveys:details", args=[token])

    page = client.get(details).content.decode()
    response = client.post(
        details,
        {"resolved": "partly", "reasons": ["waited_too_long", "nonsense"], "comment": " Slow "},
    )

    assert 'name="reasons"' in page
    assert response.status_code == 302
    assert "/thanks/" in response["Location"]
    answer = Response.objects.get()
    assert (answer.resolved, answer.comment) == ("partly", "Slow")
    assert list(answer.low_score_reasons.values_list("code", flat=True)) == ["waited_too_long"]


def test_a_high_score_is_not_asked_for_low_score_reasons(client, invitation):
    token = token_issue(invitation, "answer")
    client.post(reverse("surveys:answer", args=[token]), {"score": "10"})

    page = client.get(reverse("surveys:details", args=[token])).content.decode()

    assert 'name="reasons"' not in page
    assert 'name="resolved"' in page


def test_the_thank_you_page_offers_to_change_the_answer(client, invitation):
    token = token_issue(invitation, "answer")
    client.post(reverse("surveys:answer", args=[token]), {"score": "10"})

    page = client.get(reverse("surveys:thanks", args=[token]))

    assert page.status_code == 200
    assert reverse("surveys:answer", args=[token]) in page.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_answers_make_one_response(postgres):
    invitation = InvitationFactory(questionnaire=questionnaire("CSAT"))
    barrier = threading.Barrier(2)
    errors = []

    def answer(score: int) -> None:
        try:
            barrier.wait(timeout=5)
            response_record(invitation, score)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(s,)) for s in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Response.objects.count() == 1
    assert Response.objects.get().score in (2, 5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_posts_of_the_page_make_one_response(postgres):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"))
    url = answer_url(invitation)
    barrier = threading.Barrier(2)
    statuses = []

    def post(score: int) -> None:
        browser = Client()
        barrier.wait(timeout=5)
        statuses.append(browser.post(url, {"score": score}).status_code)
        connection.close()

    threads = [threading.Thread(target=post, args=(s,)) for s in (4, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    assert Response.objects.count() == 1


# --- Links that open nothing ----------------------------------------------------------------


def test_an_unknown_token_gets_a_clear_404(client):
    response = client.get(reverse("surveys:answer", args=["not-a-real-token-at-all"]))

    assert response.status_code == 404
    assert "<h1>" in response.content.decode()


def test_an_unsubscribe_token_does_not_open_the_survey(client, invitation):
    unsubscribe_token = token_issue(invitation, "unsubscribe")

    answer = client.post(reverse("surveys:answer", args=[unsubscribe_token]), {"score": 1})

    assert answer.status_code == 404
    assert not Response.objects.exists()


def test_a_link_delivered_survey_offers_to_unsubscribe_with_its_own_link(client, invitation):
    # Given a survey delivered as a link (a chat): no email of ours carries an unsubscribe link.
    invitation.delivery = "link"
    invitation.save(update_fields=["delivery"])
    answer_token = token_issue(invitation, "answer")

    # When the customer opens it and follows the page's "stop receiving" link
    page = client.get(reverse("surveys:answer", args=[answer_token]))
    unsubscribe_url = reverse("surveys:unsubscribe", args=[answer_token])
    done = client.post(unsubscribe_url)

    # Then they are opted out, and the page said whose survey it was.
    assert unsubscribe_url in page.content.decode()
    assert settings.SURVEY_COMPANY_NAME in page.content.decode()
    assert done.status_code == 200
    invitation.customer.refresh_from_db()
    assert invitation.customer.opted_out_at is not None


def test_a_token_opens_only_its_own_invitation(invitation):
    other = InvitationFactory()
    token = token_issue(invitation, "answer")

    assert token_resolve(token, "answer") == invitation
    assert token_resolve(token_issue(other, "answer"), "answer") == other


def test_a_token_is_long_random_and_stored_only_as_a_digest(invitation):
    token = token_issue(invitation, "answer")

    stored = invitation.tokens.get()
    assert len(token) >= 22  # 128 bits in URL-safe base64
    assert token not in stored.digest
    assert len(stored.digest) == 64
    assert stored.expires_at == invitation.expires_at


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": timezone.now() - timedelta(minutes=1)},
        {"status": InvitationStatus.EXPIRED},
        {"status": InvitationStatus.CANCELLED, "skip_reason": SkipReason.OPTED_OUT},
    ],
)
def test_an_expired_or_closed_invitation_gets_a_clear_410(client, invitation, change):
    url = answer_url(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(**change)

    shown = client.get(url)
    posted = client.post(url, {"score": 5})

    assert (shown.status_code, posted.status_code) == (410, 410)
    assert "<h1>" in shown.content.decode()
    assert not Response.objects.exists()


def test_an_expired_token_gets_a_410(client, invitation):
    url = answer_url(invitation)
    invitation.tokens.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(url).status_code == 410


@pytest.mark.parametrize("score", ["11", "-1", "abc", ""])
def test_an_out_of_range_score_gets_a_400_and_writes_nothing(client, invitation, score):
    url = answer_url(invitation)

    posted = client.post(url, {"score": score})
    shown = client.get(f"{url}?score={score}") if score else None

    assert posted.status_code == 400
    assert 'role="alert"' in posted.content.decode()
    if shown is not None:
        assert shown.status_code == 400
    assert not Response.objects.exists()
    assert Invitation.objects.get().status == InvitationStatus.SENT


# --- Language -------------------------------------------------------------------------------


def test_the_page_speaks_the_invitations_language_and_can_switch(client):
    invitation = InvitationFactory(questionnaire=questionnaire("CSAT"), language="en")
    url = answer_url(invitation)

    english = client.get(url).content.decode()
    french = client.get(f"{url}?lang=fr").content.decode()

    assert '<html lang="en">' in english
    assert "How satisfied are you" in english
    assert '<html lang="fr">' in french
    assert "Êtes-vous satisfait" in french
    assert f"{url}?lang=fr" in english


def test_the_chosen_language_is_kept_after_posting(client):
    invitation = InvitationFactory(language="en")
    url = answer_url(invitation)

    response = client.post(url, {"score": 2, "lang": "fr"})

    assert response["Location"].endswith("?lang=fr")


# --- What an answer costs (bench/answers.py) -------------------------------------------------


def test_the_answer_page_reads_everything_it_shows_in_one_query(
    client, invitation, django_assert_num_queries
):
    url = answer_url(invitation)
    client.post(url, {"score": "7"})

    with django_assert_num_queries(1):
        page = client.get(url).content.decode()

    assert 'value="7" checked' in page
    assert "Vous pouvez la modifier" in page  # the answer recorded, and how to change it


def test_a_changed_answer_reads_the_previous_one_with_its_lock(client, invitation):
    url = answer_url(invitation)
    client.post(url, {"score": "2"})

    with CaptureQueriesContext(connection) as captured:
        client.post(url, {"score": "3"})

    assert not [q for q in captured if 'FROM "surveys_response"' in q["sql"]]
    assert Response.objects.get().score == 3


def test_a_detractors_first_answer_opens_its_follow_up_without_looking_for_one(client, invitation):
    with CaptureQueriesContext(connection) as captured:
        client.post(answer_url(invitation), {"score": "1"})

    assert not [q for q in captured if 'FROM "surveys_followup"' in q["sql"]]
    follow_up = FollowUp.objects.get()
    assert (follow_up.response, follow_up.kind) == (Response.objects.get(), "detractor")


# --- The repeat-contact question ------------------------------------------------------------


def test_the_repeat_question_records_the_customers_cause(client):
    invitation = InvitationFactory(
        questionnaire=questionnaire("Repeat contact"), contact__reason="billing", language="en"
    )
    url = answer_url(invitation)

    page = client.get(url).content.decode()
    response = client.post(url, {"cause": "other", "comment": "Nobody called me back"})
    client.post(url, {"cause": "unclear_answer", "comment": ""})

    assert "You contacted us again about “billing”" in page
    assert page.count('type="radio" name="cause"') == 5
    assert response.status_code == 302
    cause = RepeatCause.objects.get()
    assert (cause.reporter, cause.code, cause.contact) == (
        Reporter.CUSTOMER,
        "unclear_answer",
        invitation.contact,
    )
    assert cause.invitation == invitation
    assert Invitation.objects.get().status == InvitationStatus.ANSWERED


def test_the_repeat_question_refuses_an_unknown_cause(client):
    invitation = InvitationFactory(questionnaire=questionnaire("Repeat contact"))

    response = client.post(answer_url(invitation), {"cause": "because"})

    assert response.status_code == 400
    assert not RepeatCause.objects.exists()


# --- Unsubscribe ----------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_first_and_a_get_changes_nothing(client, invitation):
    url = reverse("surveys:unsubscribe", args=[token_issue(invitation, "unsubscribe")])

    page = client.get(url)
    checked = client.head(url)

    assert (page.status_code, checked.status_code) == (200, 200)
    assert 'method="post"' in page.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.opted_out_at is None


def test_unsubscribing_stops_every_survey_at_once(invitation):
    customer = invitation.customer
    pending = InvitationFactory(
        contact__customer=customer,
        contact__ticket__customer=customer,
        status=InvitationStatus.PENDING,
        send_after=timezone.now() + timedelta(hours=1),
    )
    # One-click unsubscribe from a mail client: a bare POST, no cookie, no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    url = reverse("surveys:unsubscribe", args=[token_issue(invitation, "unsubscribe")])

    response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.opted_out_at is not None
    pending.refresh_from_db()
    assert (pending.status, pending.skip_reason) == ("cancelled", SkipReason.OPTED_OUT)
    assert "<h1>" in mail_client.get(url).content.decode()


def test_an_unsubscribe_link_outlives_the_survey(invitation):
    token = token_issue(invitation, "unsubscribe")
    Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.EXPIRED)

    assert token_resolve(token, "unsubscribe") == invitation
