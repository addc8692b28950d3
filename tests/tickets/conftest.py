"""Personas for API tests: who is calling. Each fixture is an APIClient acting as one of them.

They ask for English so that tests can read messages; LANGUAGE_CODE defaults to French.
"""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.factories import AgentFactory
from tickets.permissions import QUALITY_MANAGERS_GROUP
from tickets.tokens import TokenScope, api_token_create

ALL_SCOPES = TokenScope.values


def _user(username: str, **extra) -> User:
    # No password: hashing one costs a fifth of a second per test.
    return User.objects.create_user(username=username, password=None, **extra)


def _client() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def _logged_in(user: User) -> APIClient:
    client = _client()
    client.force_login(user)
    return client


@pytest.fixture
def integration_token(db):
    """(ApiToken, raw value) owned by a plain user: the token alone makes it an integration.
    It has every scope; `token_client` makes clients with fewer."""
    return api_token_create(name="Helpdesk sync", user=_user("helpdesk-bot"), scopes=ALL_SCOPES)


@pytest.fixture
def integration(integration_token) -> APIClient:
    client = _client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {integration_token[1]}")
    return client


@pytest.fixture
def token_client(db) -> Callable[..., APIClient]:
    """Makes a client calling with a new token that has exactly the given scopes."""

    def make(*scopes: str) -> APIClient:
        owner = _user(f"bot-{User.objects.count()}")
        _token, raw = api_token_create(name="Scoped", user=owner, scopes=scopes)
        client = _client()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def quality_manager(db) -> APIClient:
    user = _user("qm")
    # Get-or-create: a transactional test flush may have removed the migration's group.
    user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    return _logged_in(user)


@pytest.fixture
def staff(db) -> APIClient:
    return _logged_in(_user("admin", is_staff=True))


@pytest.fixture
def agent(db) -> APIClient:
    user = _user("agent")
    AgentFactory(user=user)
    return _logged_in(user)


@pytest.fixture
def outsider(db) -> APIClient:
    """Logged in, but neither an integration, a quality manager, staff nor an agent."""
    return _logged_in(_user("outsider"))


@pytest.fixture
def anonymous(db) -> APIClient:
    return _client()
