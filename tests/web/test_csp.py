"""The Content-Security-Policy: on every page, without 'unsafe-inline', and nothing inline to
need it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from surveys.tokens import token_issue
from tests.surveys.factories import InvitationFactory, questionnaire

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
# Emails are not pages: mail clients ignore the policy and need inline styles.
EMAILS = re.compile(r"/emails?/")
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
}


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/accounts/login/", "/no/such/page/", "/api/docs/"])
def test_pages_carry_a_policy_without_unsafe_inline(client, path):
    policy = _policy(client.get(path))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "unsafe-inline" not in str(policy)


def test_the_survey_page_carries_the_policy(client):
    invitation = InvitationFactory(questionnaire=questionnaire("CSAT"))

    response = client.get(f"/s/{token_issue(invitation, 'answer')}/")

    assert response.status_code == 200
    assert _policy(response)["style-src"] == ["'self'"]


def test_the_dashboard_allows_its_charts_styles_by_nonce_only(client):
    client.force_login(User.objects.create_user("boss", password=None, is_staff=True))

    response = client.get("/dashboard/")

    nonce = re.search(r'<style nonce="([^"]+)"', response.content.decode()).group(1)
    assert _policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert _policy(response)["script-src"] == ["'self'"]


def _templates() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    return [p for p in found if ".venv" not in p.parts and not EMAILS.search(p.as_posix())]


def test_no_template_has_an_inline_script_style_or_handler():
    templates = _templates()
    assert len(templates) > 10

    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in templates
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]

    assert found == []
