"""Every kind of page under the Content-Security-Policy in a real browser: nothing refused.

Headless Chromium reports each refusal as a `securitypolicyviolation` event and a console
error; both are collected while the pages of each role are opened, as their users open them.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from surveys.tokens import token_issue
from tests.browser import chromium
from tests.factories import AgentFactory
from tests.surveys.factories import InvitationFactory, questionnaire

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "web"
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile}`);
});
"""

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def browser(live_server, transactional_db):
    """A desktop-sized Chromium that records every refusal and script error of its pages."""
    with chromium(ARTIFACTS) as browser:
        yield browser


def _console_error(message) -> bool:
    # A page answering 403 or 404 on purpose is logged as a failed load too: its status is
    # checked by the tests, and a missing part of a page by `_broken_part`.
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def _broken_part(response) -> bool:
    """A stylesheet, script, image or call of the page that failed."""
    return response.status >= 400 and response.request.resource_type != "document"


def open_pages(browser, live_server, paths: list[str], user: User | None = None) -> list[str]:
    """Open each path (logged in as `user`); every refusal and error seen, with its page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(WATCH)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen: list[str] = []
    page.on("console", lambda m: _console_error(m) and seen.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: seen.append(f"script error: {e}"))
    page.on("response", lambda r: _broken_part(r) and seen.append(f"{r.status}: {r.url}"))
    try:
        for path in paths:
            page.goto(live_server.url + path, wait_until="load")
            if path.startswith("/api/docs/"):
                page.locator(".swagger-ui .info .title").wait_for()  # drawn by its scripts
            seen.extend(f"{path}: {refusal}" for refusal in page.evaluate("window.__refused"))
            name = path.strip("/").split("?")[0].replace("/", "_")[:40] or "home"
            who = user.get_username() if user else "anonymous"
            page.screenshot(path=ARTIFACTS / f"csp-{who}-{name}.png", full_page=True)
    finally:
        context.close()
    return seen


def test_public_pages_and_the_survey_page_break_no_rule(browser, live_server):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"), language="fr")
    token = token_issue(invitation, "answer")

    seen = open_pages(
        browser,
        live_server,
        ["/accounts/login/", f"/s/{token}/?score=9", "/no/such/page/", "/favicon.ico"],
    )

    assert seen == []


def test_the_staff_pages_the_admin_and_the_api_docs_break_no_rule(browser, live_server):
    boss = User.objects.create_superuser("boss", password=None)

    seen = open_pages(
        browser,
        live_server,
        [
            "/",
            "/dashboard/",
            "/surveys/follow-ups/",
            "/admin/",
            "/admin/surveys/questionnaire/",
            "/admin/surveys/questionnaire/1/change/",
            "/admin/surveys/policy/add/",
            "/admin/auth/user/",
            "/api/docs/",
        ],
        user=boss,
    )

    assert seen == []


def test_an_agent_sent_to_a_managers_page_breaks_no_rule(browser, live_server):
    agent = User.objects.create_user("claire", password=None)
    AgentFactory(user=agent)

    seen = open_pages(browser, live_server, ["/surveys/agent/", "/dashboard/"], user=agent)

    assert seen == []
