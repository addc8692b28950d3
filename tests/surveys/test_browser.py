"""The survey page and the agent page in a real browser (Debian's headless Chromium).

Answered with the mouse and with the keyboard, in French and in English, on a phone-sized
screen; screenshots go to test-artifacts/surveys/ for a person to look at.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from surveys.models import AgentRating, InvitationStatus, Response
from surveys.tokens import token_issue
from tests.browser import chromium
from tests.factories import AgentFactory, ContactFactory
from tests.surveys.factories import InvitationFactory, questionnaire

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "surveys"
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page(live_server, transactional_db):
    """A phone-sized page in a fresh headless Chromium, started after the test database (see
    tests.browser for why)."""
    with chromium(ARTIFACTS) as browser:
        context = browser.new_context(viewport=PHONE, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def survey_url(live_server, invitation, **params) -> str:
    url = live_server.url + reverse("surveys:answer", args=[token_issue(invitation, "answer")])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_answering_with_the_mouse_in_french(live_server, page):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"), language="fr")

    page.goto(survey_url(live_server, invitation))
    shot(page, "nps-fr-1-question")
    page.locator("label[for=score-9]").click()
    shot(page, "nps-fr-2-chosen")
    # Located by role and id, not by their words: the French catalogue is compiled separately.
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/more/**")
    shot(page, "nps-fr-3-follow-ups")
    page.locator("label[for=resolved-yes]").click()
    page.locator("#comment").fill("Rapide et aimable")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/thanks/**")
    shot(page, "nps-fr-4-thanks")

    assert page.locator("html").get_attribute("lang") == "fr"
    answer = Response.objects.get()
    assert (answer.score, answer.resolved, answer.comment) == (9, "yes", "Rapide et aimable")


def test_answering_with_the_keyboard_in_english(live_server, page):
    invitation = InvitationFactory(questionnaire=questionnaire("CSAT"), language="en")

    page.goto(survey_url(live_server, invitation))
    page.keyboard.press("Tab")  # the language switch
    page.keyboard.press("Tab")  # the scale: the first choice takes the focus
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    shot(page, "csat-en-1-keyboard-focus")
    focused = page.evaluate("document.activeElement.id")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/more/**")
    shot(page, "csat-en-2-follow-ups")
    # A low score: the reasons are offered; tick one with the keyboard.
    page.get_by_label("I waited too long").focus()
    page.keyboard.press("Space")
    shot(page, "csat-en-3-reason-ticked")
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks/**")
    shot(page, "csat-en-4-thanks")

    assert focused == "score-3"
    answer = Response.objects.get()
    assert answer.score == 3
    assert list(answer.low_score_reasons.values_list("code", flat=True)) == ["waited_too_long"]


def test_focus_is_visible_on_the_scale(live_server, page):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"), language="en")
    page.goto(survey_url(live_server, invitation))

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "getComputedStyle(document.querySelector('label[for=score-0]')).outlineStyle"
    )

    assert outline == "solid"
    shot(page, "nps-en-focus-visible")


def test_a_score_link_opens_the_page_preselected_and_records_only_on_send(live_server, page):
    invitation = InvitationFactory(questionnaire=questionnaire("CES"), language="fr")

    page.goto(survey_url(live_server, invitation, score=6))
    shot(page, "ces-fr-preselected")
    assert page.locator("#score-6").is_checked()
    assert not Response.objects.exists()

    page.locator("a[hreflang=en]").click()
    shot(page, "ces-en-switched")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#score-6").is_checked()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/more/**")

    assert Response.objects.get().score == 6
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED


def test_the_repeat_question_and_unsubscribe_in_french(live_server, page):
    invitation = InvitationFactory(
        questionnaire=questionnaire("Repeat contact"), language="fr", contact__reason="facture"
    )

    page.goto(survey_url(live_server, invitation))
    page.locator("label[for=cause-unclear_answer]").click()
    shot(page, "repeat-fr-1-question")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/thanks/**")
    unsubscribe = reverse("surveys:unsubscribe", args=[token_issue(invitation, "unsubscribe")])
    page.goto(live_server.url + unsubscribe)
    shot(page, "unsubscribe-fr-1-confirm")
    page.get_by_role("button").click()
    shot(page, "unsubscribe-fr-2-done")

    invitation.customer.refresh_from_db()
    assert invitation.customer.opted_out_at is not None


def test_an_agent_scores_a_contact_with_one_click(live_server, page):
    user = User.objects.create_user("claire", password=None)
    agent = AgentFactory(user=user, name="Claire")
    from django.utils import timezone

    now = timezone.now()
    contact = ContactFactory(agent=agent, started_at=now, answered_at=now, reason="facture")
    ContactFactory(agent=agent, started_at=now, answered_at=now, reason="livraison")
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    page.goto(live_server.url + reverse("surveys_staff:agent"))
    shot(page, "agent-1-to-score")
    page.locator(f"form[action$='/{contact.pk}/score/'] button[value='4']").click()
    page.wait_for_load_state()
    shot(page, "agent-2-scored")

    rating = AgentRating.objects.get()
    assert (rating.contact, rating.score) == (contact, 4)
