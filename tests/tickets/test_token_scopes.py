"""API tokens carry scopes, least privilege by default: each endpoint asks for one, and a token
without it gets 403 (with another scope) as an anonymous caller gets 401."""

import io
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from surveys.models import Invitation, InvitationStatus
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.factories import InvitationFactory
from tickets.models import Customer
from tickets.tokens import ApiToken, TokenScope, api_token_create

pytestmark = pytest.mark.django_db

TICKET = {
    "ticket_id": "T1", "customer_id": "CU1", "reason": "billing",
    "created_at": "2024-03-01T09:00:00Z",
}  # fmt: skip
CONTACT = {
    "contact_id": "C9", "customer_id": "CU1", "channel": "phone", "reason": "billing",
    "direction": "inbound", "started_at": "2024-03-01T09:00:00Z",
}  # fmt: skip


def _ready() -> dict:
    """What the endpoints read: a customer, a contact with an agent, a link invitation."""
    CustomerFactory(external_id="CU-7")
    ContactFactory(external_id="C-7")
    invitation = cast(Invitation, InvitationFactory(
        status=InvitationStatus.PENDING, sent_at=None, expires_at=None, delivery="link",
        contact__ticket__external_id="T-7",
    ))  # fmt: skip
    return {"invitation": invitation.pk}


# (scope, method, url, body, status when allowed)
ENDPOINTS = [
    ("history:write", "post", "/api/v1/contacts/", CONTACT, 201),
    ("history:write", "post", "/api/v1/tickets/", TICKET, 201),
    ("history:write", "post", "/api/v1/contacts/C-7/agent-score/", {"score": 4}, 200),
    ("kpis:read", "get", "/api/v1/kpis/fcr/?from=2024-03-01&to=2024-03-31", None, 200),
    ("personal_data", "get", "/api/v1/customers/CU-7/personal-data/", None, 200),
    ("personal_data", "delete", "/api/v1/customers/CU-7/personal-data/", None, 200),
    ("survey_links", "get", "/api/v1/invitations/{invitation}/link/", None, 200),
    ("survey_links", "get", "/api/v1/invitations/link/?ticket=T-7", None, 200),
]
IDS = [f"{method} {url.split('?')[0]}" for _s, method, url, _b, _st in ENDPOINTS]


def _call(client, method: str, url: str, body, ids: dict):
    return getattr(client, method)(url.format(**ids), body, format="json")


@pytest.mark.parametrize(("scope", "method", "url", "body", "status"), ENDPOINTS, ids=IDS)
def test_a_token_with_the_scope_is_let_in(token_client, scope, method, url, body, status):
    ids = _ready()

    response = _call(token_client(scope), method, url, body, ids)

    assert response.status_code == status, response.json()


@pytest.mark.parametrize(("scope", "method", "url", "body", "status"), ENDPOINTS, ids=IDS)
def test_a_token_with_every_other_scope_gets_403(token_client, scope, method, url, body, status):
    ids = _ready()
    others = [s for s in TokenScope.values if s != scope]

    response = _call(token_client(*others), method, url, body, ids)

    assert response.status_code == 403
    assert f"“{scope}”" in response.json()["detail"]
    assert Customer.objects.filter(external_id="CU-7").exists()  # nothing erased


@pytest.mark.parametrize(("scope", "method", "url", "body", "status"), ENDPOINTS, ids=IDS)
def test_anonymous_callers_get_401(anonymous, scope, method, url, body, status):
    ids = _ready()

    response = _call(anonymous, method, url, body, ids)

    assert response.status_code == 401


def test_a_new_token_has_no_scope_and_can_do_nothing(token_client):
    _ready()
    client = token_client()

    assert client.get("/api/v1/kpis/fcr/?from=2024-03-01&to=2024-03-31").status_code == 403
    assert client.post("/api/v1/tickets/", TICKET, format="json").status_code == 403


def test_the_command_gives_only_the_scopes_asked_for():
    User.objects.create_user("ops")
    err = io.StringIO()

    call_command("create_api_token", "Bot", user="ops", stdout=io.StringIO(), stderr=err)
    call_command(
        "create_api_token", "KPIs", "--scope", "kpis:read", "--scope", "survey_links",
        user="ops", stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip

    assert ApiToken.objects.get(name="Bot").scopes == []
    assert "no scope" in err.getvalue()
    assert ApiToken.objects.get(name="KPIs").scopes == ["kpis:read", "survey_links"]


def test_the_admin_lets_staff_choose_and_change_scopes(client):
    admin = User.objects.create_superuser("root", password=None)
    owner = User.objects.create_user("bot")
    client.force_login(admin)
    client.post("/admin/tickets/apitoken/add/", {"name": "CRM", "user": owner.pk})
    token = ApiToken.objects.get()
    assert token.scopes == []

    client.post(
        f"/admin/tickets/apitoken/{token.pk}/change/",
        {"name": "CRM", "scopes": ["personal_data", "kpis:read"]},
    )

    token.refresh_from_db()
    assert sorted(token.scopes) == ["kpis:read", "personal_data"]


def test_tokens_made_before_scopes_keep_every_right_they_had(django_db_blocker):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("tickets.migrations.0008_api_token_scopes")
    owner = User.objects.create_user("old")
    token, _raw = api_token_create(name="Old", user=owner)

    migration.keep_what_tokens_could_do(apps, None)

    token.refresh_from_db()
    assert sorted(token.scopes) == sorted(TokenScope.values)
