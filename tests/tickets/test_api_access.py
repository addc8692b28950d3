"""Who may call the history API: integrations and staff write; everyone else is turned away."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tickets import permissions
from tickets.models import Contact, Ticket

CONTACT = {
    "contact_id": "C1", "customer_id": "CU1", "channel": "phone", "reason": "billing",
    "direction": "inbound", "started_at": "2024-03-01T09:00:00Z",
}  # fmt: skip
TICKET = {
    "ticket_id": "T1", "customer_id": "CU1", "reason": "billing",
    "created_at": "2024-03-01T09:00:00Z",
}  # fmt: skip
ENDPOINTS = [("/api/v1/contacts/", CONTACT, Contact), ("/api/v1/tickets/", TICKET, Ticket)]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "model"), ENDPOINTS)
@pytest.mark.parametrize("persona", ["integration", "staff"])
def test_integrations_and_staff_may_write_history(request, persona, url, body, model):
    client: APIClient = request.getfixturevalue(persona)

    response = client.post(url, body, format="json")

    assert response.status_code == 201, response.json()
    assert model.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "model"), ENDPOINTS)
@pytest.mark.parametrize("persona", ["quality_manager", "agent", "outsider"])
def test_logged_in_people_without_the_role_get_403_and_write_nothing(
    request, persona, url, body, model
):
    client: APIClient = request.getfixturevalue(persona)

    response = client.post(url, body, format="json")

    assert response.status_code == 403
    assert model.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "model"), ENDPOINTS)
def test_anonymous_gets_401_with_the_scheme_to_use(anonymous, url, body, model):
    response = anonymous.post(url, body, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert model.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "model"), ENDPOINTS)
def test_a_revoked_token_is_refused(integration, integration_token, url, body, model):
    token, _raw = integration_token
    token.revoked_at = token.created_at
    token.save()

    response = integration.post(url, body, format="json")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert model.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body", "model"), ENDPOINTS)
def test_an_unknown_token_is_refused(anonymous, url, body, model):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer ecoute_not-a-real-token")

    response = anonymous.post(url, body, format="json")

    assert response.status_code == 401
    assert model.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/contacts/", "/api/v1/tickets/"])
@pytest.mark.parametrize("persona", ["integration", "quality_manager", "outsider", "anonymous"])
def test_reading_the_write_endpoints_is_not_allowed(request, persona, url):
    client: APIClient = request.getfixturevalue(persona)

    response = client.get(url)

    assert response.status_code in {401, 403, 405}
    if persona == "integration":
        assert response.status_code == 405


@pytest.mark.django_db
def test_a_token_owned_by_staff_is_only_an_integration(integration, integration_token):
    token, _raw = integration_token
    User.objects.filter(pk=token.user_id).update(is_staff=True, is_superuser=True)
    token.user.refresh_from_db()
    request = _Request(token.user, token)

    assert permissions.is_integration(request)
    assert not permissions.is_staff(request)
    assert not permissions.is_quality_manager(request)


class _Request:
    """Just what the role predicates look at."""

    def __init__(self, user, auth=None):
        self.user, self.auth = user, auth


@pytest.mark.django_db
def test_roles_as_other_apps_see_them(integration_token, quality_manager, agent, outsider):
    token, _raw = integration_token
    qm, agent_user, nobody = (User.objects.get(username=n) for n in ["qm", "agent", "outsider"])
    staff = User.objects.create_user("boss", is_staff=True)

    assert permissions.is_integration(_Request(token.user, token))
    assert not permissions.is_quality_manager(_Request(token.user, token))
    assert permissions.is_quality_manager(_Request(qm))
    assert permissions.is_quality_manager(_Request(staff))
    assert not permissions.is_quality_manager(_Request(agent_user))
    assert permissions.is_agent(_Request(agent_user))
    assert not permissions.is_agent(_Request(qm))
    assert not any(
        check(_Request(nobody))
        for check in [
            permissions.is_integration,
            permissions.is_quality_manager,
            permissions.is_agent,
            permissions.is_staff,
        ]
    )


@pytest.mark.django_db
def test_the_quality_managers_group_is_created_by_a_migration():
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name=permissions.QUALITY_MANAGERS_GROUP).exists()
