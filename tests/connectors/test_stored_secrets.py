"""The keys Ecoute must keep readable (a helpdesk's signing key, the API token it sends) are
stored encrypted: a copy of the database does not give them away, and the webhook and the
pulls still use them. A new SECRET_KEY with the old one among the fallbacks still reads them."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from connectors.models import Kind, Source

from . import bodies
from .conftest import SECRET, post, source_create

pytestmark = pytest.mark.django_db

TOKEN = "zd-api-token-0123456789"


def stored(source: Source, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM connectors_source WHERE id = %s", [source.pk])
        return cursor.fetchone()[0] or ""


def test_the_signing_key_and_token_are_not_in_the_database_in_clear(client):
    source = source_create(Kind.ZENDESK, api_token=TOKEN)

    for column, secret in (("signing_key", SECRET), ("api_token", TOKEN)):
        raw = stored(source, column)
        assert raw and secret not in raw
    source.refresh_from_db()
    assert (source.signing_key, source.api_token) == (SECRET, TOKEN)
    # And the webhook still checks signatures with it.
    body = bodies.BUILDERS[Kind.ZENDESK](1, bodies.now())  # type: ignore[operator]
    assert post(client, source, body).status_code == 202


def test_a_new_secret_key_with_the_old_as_fallback_still_reads_them(settings):
    source = source_create(Kind.ZENDESK, api_token=TOKEN)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old]
    fresh_field_keys()
    try:
        assert Source.objects.get(pk=source.pk).api_token == TOKEN
    finally:
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old, []
        fresh_field_keys()


def test_secrets_stored_in_clear_before_are_encrypted_by_the_migration():
    source = source_create(Kind.CHATWOOT, api_token="")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE connectors_source SET signing_key = %s, api_token = %s WHERE id = %s",
            [SECRET, TOKEN, source.pk],
        )
    migration = import_module("connectors.migrations.0002_encrypted_secrets")

    migration.encrypt_stored(apps, connection.schema_editor())

    assert SECRET not in stored(source, "signing_key")
    assert TOKEN not in stored(source, "api_token")
    source.refresh_from_db()
    assert (source.signing_key, source.api_token) == (SECRET, TOKEN)


def fresh_field_keys() -> None:
    """The fields derive their keys once per process; a test that changes SECRET_KEY asks
    again."""
    for name in ("signing_key", "api_token"):
        field = Source._meta.get_field(name)
        for cached in ("keys", "f"):
            field.__dict__.pop(cached, None)
