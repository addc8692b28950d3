"""The demo as a newcomer meets it, in a real browser on a 390 px phone.

`demo_setup` runs on a fresh database, as `make demo` runs it; then: the quality manager opens
the demo mailbox and follows a survey link; the customer answers it with a low score and ticks
a reason; the team lead of that contact's team sees the follow-up with the customer's details
and the reason, and handles it; an agent scores a contact with a comment and sees their
figures. No console error, no page wider than the phone. Screenshots go to
test-artifacts/demo/.
"""

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from surveys.models import AgentRating, FollowUp, FollowUpStatus, Response
from tests.browser import chromium

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "demo"
PHONE: "ViewportSize" = {"width": 390, "height": 844}

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = "() => document.documentElement.scrollWidth"


def _passwords(output: str) -> tuple[str, str]:
    """The admin's and the role logins' passwords, as the terminal shows them (either language)."""
    admin = re.search(r"(?:password|mot de passe)\s*:\s*(\S+)", output)
    roles = re.search(r"\((?:[^()]*?)\s*:\s*(\S+)\)\s*:", output)
    assert admin and roles, output
    return admin.group(1), roles.group(1)


@pytest.fixture
def demo(tmp_path, eager):
    mailbox = tmp_path / "mailbox"
    with override_settings(
        DEBUG=True,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mailbox),
        FOLLOWUP_ALERT_FALLBACK_EMAIL="quality@example.com",
    ):
        out = io.StringIO()
        call_command("demo_setup", contacts=1200, months=2, stdout=out)
        yield _passwords(out.getvalue())


@pytest.fixture
def phone(live_server, demo):
    with chromium(ARTIFACTS) as browser:
        context = browser.new_context(viewport=PHONE, locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield page, live_server.url, demo, errors
        finally:
            context.close()


def _look(page, name: str) -> None:
    """Screenshot the page and check it fits the phone."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.evaluate(WIDTH) <= PHONE["width"], f"{name} is wider than the phone"


def _log_in(page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def test_a_newcomer_walks_the_whole_loop_on_a_phone(phone):
    page, base, (admin_password, role_password), errors = phone

    # The quality manager opens the mailbox from the navigation.
    _log_in(page, base, "admin", admin_password)
    page.locator(".site-nav a[href='/surveys/demo-mailbox/']").click()
    _look(page, "1-mailbox")
    links = page.locator(".mailbox a.button").evaluate_all("els => els.map(e => e.href)")
    assert links, "the demo sent no survey"

    # A customer opens a score survey from it and answers with a low score.
    for link in links:
        page.goto(link)
        if page.locator("input[name=score]").count():
            break
    else:
        pytest.fail("no score survey in the mailbox")
    _look(page, "2-survey")
    page.locator("input[name=score]").first.check()
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    reason = page.locator("input[name=reasons]").first
    reason.check()
    page.fill("textarea[name=comment]", "Personne ne m'a rappelé.")
    _look(page, "3-survey-details")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    _look(page, "4-survey-thanks")
    answer = Response.objects.filter(invitation__isnull=False).get()
    follow_up = FollowUp.objects.get(response=answer)
    assert answer.invitation is not None and follow_up.team is not None
    customer = answer.invitation.customer

    # The lead of the contact's team sees it, with who to call and what they said, and handles it.
    lead = follow_up.team.lead_email.split("@")[0].replace("lead.", "lead-")
    _log_in(page, base, lead, role_password)
    page.locator(".site-nav a[href='/surveys/follow-ups/']").click()
    item = page.locator(f"#follow-up-{follow_up.pk}")
    text = item.inner_text()
    # The reason the customer ticked, in the lead's language (the survey was in the customer's).
    language = page.locator("html").get_attribute("lang") or "fr"
    reason_label = answer.low_score_reasons.get().label(language[:2])
    assert customer.name in text and customer.email in text and customer.phone in text
    assert reason_label in text and "Personne ne m'a rappelé." in text
    _look(page, "5-follow-ups")
    item.locator("select[name$=status]").select_option("handled")
    item.locator("textarea").fill("Rappelé, geste commercial.")
    item.locator("input[type=number]").fill("12")
    item.locator("button[type=submit]").click()
    page.wait_for_load_state()
    _look(page, "6-follow-up-handled")
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.minutes_spent) == (FollowUpStatus.HANDLED, 12)

    # An agent scores a contact with a comment, and sees their figures beside their team's.
    _log_in(page, base, "agent-paris-n1", role_password)
    page.locator(".site-nav a[href='/surveys/agent/']").click()
    assert page.locator("table.agent-figures").is_visible()
    _look(page, "7-agent")
    first = page.locator(".to-score > li").first
    first.locator("textarea[name=comment]").fill("Client pressé, réponse partielle.")
    first.locator(".agent-scores button[value='3']").click()
    page.wait_for_load_state()
    _look(page, "8-agent-scored")
    assert AgentRating.objects.filter(comment="Client pressé, réponse partielle.").exists()

    assert errors == []
