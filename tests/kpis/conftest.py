"""The API personas (who is calling) shared with the tickets tests, and a quality manager
logged in to the pages."""

import pytest
from django.contrib.auth.models import Group, User

from tests.tickets.conftest import (  # noqa: F401
    agent,
    anonymous,
    integration,
    integration_token,
    outsider,
    quality_manager,
    staff,
    token_client,
)
from tickets.permissions import QUALITY_MANAGERS_GROUP


@pytest.fixture
def manager(client):
    """The test client, logged in as a quality manager (the overview, the lists, exports)."""
    user = User.objects.create_user("qm", password=None)
    user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    client.force_login(user)
    return client
