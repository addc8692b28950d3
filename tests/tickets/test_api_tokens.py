"""Integration tokens: random, shown once, stored hashed, revocable."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tickets.tokens import ApiToken, api_token_create, token_digest


def database_dump() -> str:
    """Every row of every table, as text."""
    return serializers.serialize(
        "json", [obj for m in apps.get_models() for obj in m.objects.all()]
    )


@pytest.mark.django_db
def test_the_raw_token_is_nowhere_in_the_database(integration, integration_token):
    _token, raw = integration_token
    integration.post("/api/v1/tickets/", [], format="json")  # used once: last_used_at written

    assert raw not in database_dump()
    assert ApiToken.objects.get().digest == token_digest(raw) != raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tickets_apitoken")
        assert all(raw not in str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.django_db
def test_tokens_are_long_random_and_distinct():
    owner = User.objects.create_user("owner")

    raws = {api_token_create(name=f"t{i}", user=owner)[1] for i in range(20)}

    assert len(raws) == 20
    # 32 random bytes in URL-safe base64: 43 characters after the prefix, 256 bits.
    assert all(len(raw.removeprefix("ecoute_")) >= 43 for raw in raws)


@pytest.mark.django_db
def test_a_used_token_records_when_it_was_last_used(integration, integration_token):
    token, _raw = integration_token
    assert token.last_used_at is None

    integration.post("/api/v1/tickets/", [], format="json")

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timezone.timedelta(minutes=1)


@pytest.mark.django_db
def test_the_token_of_an_inactive_owner_is_refused(integration, integration_token):
    token, _raw = integration_token
    User.objects.filter(pk=token.user_id).update(is_active=False)

    response = integration.post("/api/v1/tickets/", [], format="json")

    assert response.status_code == 401


@pytest.mark.django_db
def test_the_command_prints_a_working_token_once_and_stores_its_digest(anonymous):
    User.objects.create_user("ops")
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "create_api_token", "Zendesk sync", "--scope", "history:write", user="ops", stdout=out,
        stderr=err,
    )  # fmt: skip

    raw = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.name, token.user.username, token.digest) == (
        "Zendesk sync",
        "ops",
        token_digest(raw),
    )
    assert raw not in database_dump()
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert anonymous.post("/api/v1/tickets/", [], format="json").status_code == 200


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "Sync", user="nobody", stdout=io.StringIO())

    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_admin_creates_a_token_sees_it_once_and_can_revoke_it(client):
    admin = User.objects.create_superuser("root", password=None)
    owner = User.objects.create_user("bot")
    client.force_login(admin)

    response = client.post(
        "/admin/tickets/apitoken/add/", {"name": "CRM", "user": owner.pk, "scopes": ["kpis:read"]}
    )

    token = ApiToken.objects.get()
    assert response.status_code == 200
    assert token.scopes == ["kpis:read"]
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_secret"]
    assert raw in response.content.decode()
    assert token.digest == token_digest(raw)
    assert raw not in database_dump()
    assert all(raw not in morsel.value for morsel in client.cookies.values())
    page = client.get(f"/admin/tickets/apitoken/{token.pk}/change/")
    assert raw not in page.content.decode()

    client.post(
        "/admin/tickets/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.active().exists()
