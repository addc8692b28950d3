"""Sources in the admin: secrets are written once and never shown again; only staff with the
rights see sources and bodies."""

import pytest
from django.contrib.auth.models import User

from config.celery import app
from connectors.models import Kind, Source, secret_digest

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Support Zendesk", "slug": "zendesk", "kind": "zendesk", "is_active": "on",
    "id_prefix": "zd-", "default_reason": "other", "base_url": "", "api_user": "",
    "account": "", "pull_from": "", "field_paths": "{}", "secret": "the-signing-key",
    "token": "", "mappings-TOTAL_FORMS": "0", "mappings-INITIAL_FORMS": "0",
}  # fmt: skip


def test_a_secret_is_kept_to_verify_and_never_shown_again(admin_client):
    created = admin_client.post("/admin/connectors/source/add/", FORM)
    source = Source.objects.get()

    page = admin_client.get(f"/admin/connectors/source/{source.pk}/change/")

    assert created.status_code == 302
    assert source.signing_key == "the-signing-key" and source.secret_set_at
    assert page.status_code == 200
    assert b"the-signing-key" not in page.content
    assert b"/hooks/zendesk/" in page.content  # the address to paste in the helpdesk


def test_saving_again_without_a_secret_keeps_the_current_one(admin_client):
    admin_client.post("/admin/connectors/source/add/", FORM)
    source = Source.objects.get()

    admin_client.post(
        f"/admin/connectors/source/{source.pk}/change/", {**FORM, "secret": "", "name": "New"}
    )

    source.refresh_from_db()
    assert (source.name, source.signing_key) == ("New", "the-signing-key")


def test_a_shared_secret_is_kept_as_its_digest_only(admin_client):
    admin_client.post(
        "/admin/connectors/source/add/",
        {**FORM, "kind": "freshdesk", "slug": "freshdesk", "id_prefix": "fd-"},
    )

    source = Source.objects.get()
    assert not source.signing_key and source.secret_digest == secret_digest("the-signing-key")


def test_overlapping_id_prefixes_are_refused(admin_client):
    Source.objects.create(name="Chatwoot", slug="cw", kind=Kind.CHATWOOT, id_prefix="zd")

    response = admin_client.post("/admin/connectors/source/add/", FORM)

    assert response.status_code == 200 and not Source.objects.filter(slug="zendesk").exists()
    assert b"prefixes must not overlap" in response.content


def test_unknown_generic_field_paths_are_refused_naming_them(admin_client):
    response = admin_client.post(
        "/admin/connectors/source/add/",
        {**FORM, "kind": "generic", "field_paths": '{"ticket": "data.id"}'},
    )

    assert response.status_code == 200 and b"Unknown fields: ticket" in response.content


@pytest.mark.parametrize("path", ["/admin/connectors/source/", "/admin/connectors/payload/"])
def test_people_without_the_rights_do_not_see_sources_or_bodies(client, path):
    outsider = User.objects.create_user("outsider", password="x")
    teammate = User.objects.create_user("teammate", password="x", is_staff=True)

    client.force_login(outsider)
    as_outsider = client.get(path)
    client.force_login(teammate)
    as_teammate = client.get(path)

    assert as_outsider.status_code == 302  # to the admin's login
    assert as_teammate.status_code == 403


def test_connector_tasks_run_on_their_own_queue_which_plain_workers_also_consume():
    route = app.amqp.router.route({}, "connectors.tasks.payloads_process")
    delivery = app.amqp.router.route({}, "surveys.tasks.invitations_send_batch")

    assert route["queue"].name == "connectors" and delivery["queue"].name == "celery"
    assert {q.name for q in app.conf.task_queues} == {"celery", "connectors"}
    beat = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"connectors.tasks.payloads_process", "connectors.tasks.sources_sync"} <= beat
