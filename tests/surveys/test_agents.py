"""Agents score their own contacts: the agent page and POST /api/v1/contacts/<id>/agent-score/.

Personas: the owner (the agent who handled the contact), a teammate (another agent of the same
team), an outsider (logged in, not an agent), an integration token and an anonymous caller.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import AgentRating, RepeatCause, Reporter
from tests.factories import AgentFactory, ContactFactory, TeamFactory
from tickets.models import Agent, Contact
from tickets.tokens import api_token_create

pytestmark = pytest.mark.django_db


def _user(username: str) -> User:
    return User.objects.create_user(username=username, password=None)


@pytest.fixture
def team():
    return TeamFactory(external_id="team_a")


@pytest.fixture
def owner(team) -> Agent:
    return AgentFactory(external_id="agent_owner", team=team, user=_user("owner"))


@pytest.fixture
def teammate(team) -> Agent:
    return AgentFactory(external_id="agent_mate", team=team, user=_user("mate"))


@pytest.fixture
def contact(owner) -> Contact:
    now = timezone.now()
    return ContactFactory(
        external_id="CX1",
        agent=owner,
        started_at=now - timedelta(hours=1),
        answered_at=now - timedelta(hours=1),
    )


def api_as(user: User | None = None, token: str | None = None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def score_url(contact: Contact) -> str:
    return reverse("api-contact-agent-score", args=[contact.external_id])


# --- API ------------------------------------------------------------------------------------


def test_the_owner_scores_their_contact_through_the_api(owner, contact):
    response = api_as(owner.user).post(score_url(contact), {"score": 4}, format="json")

    assert response.status_code == 200
    assert response.json()["score"] == 4
    assert response.json()["agent"] == "agent_owner"
    rating = AgentRating.objects.get()
    assert (rating.contact, rating.agent, rating.score) == (contact, owner, 4)


def test_scoring_again_changes_the_score(owner, contact):
    api_as(owner.user).post(score_url(contact), {"score": 4}, format="json")
    api_as(owner.user).post(score_url(contact), {"score": 2}, format="json")

    assert AgentRating.objects.get().score == 2


def test_a_teammate_cannot_score_someone_elses_contact(teammate, contact):
    response = api_as(teammate.user).post(score_url(contact), {"score": 5}, format="json")

    assert response.status_code == 403
    assert not AgentRating.objects.exists()


def test_an_outsider_who_is_not_an_agent_is_refused(contact):
    response = api_as(_user("outsider")).post(score_url(contact), {"score": 5}, format="json")

    assert response.status_code == 403
    assert not AgentRating.objects.exists()


def test_an_anonymous_caller_is_refused(contact):
    response = api_as().post(score_url(contact), {"score": 5}, format="json")

    assert response.status_code == 401
    assert not AgentRating.objects.exists()


def test_an_integration_scores_on_behalf_of_the_contacts_agent(owner, contact):
    _token, raw = api_token_create(name="Helpdesk", user=_user("bot"), scopes=["history:write"])

    response = api_as(token=raw).post(score_url(contact), {"score": 3}, format="json")

    assert response.status_code == 200
    assert AgentRating.objects.get().agent == owner


def test_an_integration_cannot_score_a_contact_without_an_agent():
    _token, raw = api_token_create(name="Helpdesk", user=_user("bot"), scopes=["history:write"])
    contact = ContactFactory(agent=None)

    response = api_as(token=raw).post(score_url(contact), {"score": 3}, format="json")

    assert response.status_code == 400
    assert not AgentRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, "x", None])
def test_a_score_outside_one_to_five_is_refused(owner, contact, score):
    response = api_as(owner.user).post(score_url(contact), {"score": score}, format="json")

    assert response.status_code == 400
    assert not AgentRating.objects.exists()


def test_an_unknown_contact_is_404(owner):
    response = api_as(owner.user).post(
        reverse("api-contact-agent-score", args=["nope"]), {"score": 3}, format="json"
    )

    assert response.status_code == 404


def test_on_a_repeat_contact_the_agent_records_the_cause_they_see(owner, contact):
    Contact.objects.filter(pk=contact.pk).update(is_repeat=True)

    response = api_as(owner.user).post(
        score_url(contact),
        {"score": 2, "cause": "wrong_department", "comment": "Sent to sales"},
        format="json",
    )

    assert response.status_code == 200
    cause = RepeatCause.objects.get()
    assert (cause.reporter, cause.code, cause.comment) == (
        Reporter.AGENT,
        "wrong_department",
        "Sent to sales",
    )


def test_a_cause_on_a_contact_that_is_not_a_repeat_is_refused(owner, contact):
    response = api_as(owner.user).post(
        score_url(contact), {"score": 2, "cause": "other"}, format="json"
    )

    assert response.status_code == 400
    assert not AgentRating.objects.exists()
    assert not RepeatCause.objects.exists()


# --- Agent page -----------------------------------------------------------------------------


def test_the_agent_page_lists_recent_handled_contacts_not_yet_scored(client, owner, contact):
    now = timezone.now()
    scored = ContactFactory(external_id="CX2", agent=owner, started_at=now, answered_at=now)
    AgentRating.objects.create(contact=scored, agent=owner, score=4, rated_at=now)
    ContactFactory(external_id="CX3", agent=owner, started_at=now, answered_at=None)
    ContactFactory(
        external_id="CX4",
        agent=owner,
        started_at=now - timedelta(days=30),
        answered_at=now - timedelta(days=30),
    )
    ContactFactory(external_id="CX5", started_at=now, answered_at=now)  # someone else's
    client.force_login(owner.user)

    page = client.get(reverse("surveys_staff:agent"))

    assert page.status_code == 200
    assert [c.external_id for c in page.context["contacts"]] == ["CX1"]
    html = page.content.decode()
    assert html.count('name="score"') == 5


def test_one_click_on_the_agent_page_records_the_score(client, owner, contact):
    client.force_login(owner.user)

    response = client.post(reverse("surveys_staff:agent_score", args=[contact.pk]), {"score": "5"})

    assert response.status_code == 302
    assert AgentRating.objects.get().score == 5
    assert client.get(reverse("surveys_staff:agent")).context["contacts"] == []


def test_the_agent_page_shows_the_cause_choice_on_a_repeat_contact(client, owner, contact):
    Contact.objects.filter(pk=contact.pk).update(is_repeat=True)
    client.force_login(owner.user)

    html = client.get(reverse("surveys_staff:agent")).content.decode()
    client.post(
        reverse("surveys_staff:agent_score", args=[contact.pk]),
        {"score": "3", "cause": "unclear_answer"},
    )

    assert 'name="cause"' in html
    assert RepeatCause.objects.get().code == "unclear_answer"


def test_a_teammate_cannot_score_from_the_agent_page(client, teammate, contact):
    client.force_login(teammate.user)

    response = client.post(reverse("surveys_staff:agent_score", args=[contact.pk]), {"score": "5"})

    assert response.status_code == 403
    assert not AgentRating.objects.exists()


def test_the_agent_page_is_for_agents_only(client):
    client.force_login(_user("outsider"))

    assert client.get(reverse("surveys_staff:agent")).status_code == 403


def test_the_agent_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("surveys_staff:agent"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
