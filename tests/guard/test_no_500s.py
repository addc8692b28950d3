"""Input that answered 500 now gets a clean refusal: NUL characters (PostgreSQL text cannot hold
them), `[null]` as a batch, JSON nested 1,000 deep; and every API error is JSON."""

from typing import cast

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from surveys.models import FollowUp, Invitation, Response
from surveys.services import response_record
from surveys.tokens import token_issue
from tests.factories import ContactFactory, CustomerFactory, TeamFactory
from tests.surveys.factories import InvitationFactory, questionnaire
from tickets.permissions import QUALITY_MANAGERS_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    """A detractor's answer, waiting for its details."""
    invitation = cast(
        Invitation,
        InvitationFactory(questionnaire=questionnaire("NPS"), contact__agent__team=TeamFactory()),
    )
    response_record(invitation, 2)
    return invitation, token_issue(invitation, "answer")


def test_a_nul_byte_in_a_survey_comment_is_refused_not_a_500(client, answered):
    invitation, token = answered

    response = client.post(reverse("surveys:details", args=[token]), {"comment": "ok\x00then"})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert Response.objects.get(invitation=invitation).comment == ""


def test_a_nul_byte_in_low_score_reasons_is_refused_not_a_500(client, answered):
    invitation, token = answered

    response = client.post(reverse("surveys:details", args=[token]), {"reasons": ["wait\x00"]})

    assert response.status_code == 400
    assert not Response.objects.get(invitation=invitation).low_score_reasons.exists()


def test_a_nul_byte_in_a_follow_up_note_is_refused_not_a_500(client, answered):
    manager = User.objects.create_user("qm", password=None)
    manager.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    client.force_login(manager)
    follow_up = FollowUp.objects.get()

    response = client.post(
        reverse("surveys_staff:followup_handled", args=[follow_up.pk]), {"note": "\x00"}
    )

    assert response.status_code == 400
    follow_up.refresh_from_db()
    assert follow_up.handled_at is None


@pytest.mark.parametrize(
    "url",
    ["/api/v1/customers/%00/personal-data/", "/api/v1/invitations/link/?ticket=%00",
     "/api/v1/kpis/fcr/?from=2024-01-01&to=2024-01-31&team=a%00"],
)  # fmt: skip
def test_a_nul_byte_in_an_api_path_or_query_is_a_json_400(integration, url):
    CustomerFactory()

    response = integration.get(url)

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_byte_in_a_page_query_is_a_400_page_in_the_site_layout(client):
    response = client.get("/accounts/login/?next=%00", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert 'class="site-header"' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/contacts/", "/api/v1/tickets/"])
def test_null_as_a_batch_is_a_400_naming_the_item(integration, url):
    response = integration.post(url, "[null]", content_type="application/json")

    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, None)]


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_json_nested_1000_deep_is_a_400(integration, body):
    response = integration.post("/api/v1/contacts/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deep" in response.json()["errors"][0]["message"]


def test_json_nested_1000_deep_is_a_400_on_every_endpoint(integration):
    ContactFactory(external_id="C1")
    body = "[" * 1000 + "]" * 1000

    response = integration.post(
        "/api/v1/contacts/C1/agent-score/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested too deep" in response.json()["detail"]


def test_an_unknown_api_url_answers_json(integration):
    response = integration.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_crash_under_the_api_answers_json(integration, monkeypatch):
    def crash(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr("tickets.api.TicketsApi.post", crash)
    integration.raise_request_exception = False

    response = integration.post("/api/v1/tickets/", {}, format="json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
