"""Abuse limits (guard.limits): failed logins, password resets, bad API tokens and unknown
survey links are counted per address and per account or token; past a limit the answer is 429
with Retry-After, and a page in the site's layout saying how long to wait."""

import socket
from types import SimpleNamespace
from typing import cast

import pytest
import redis
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_ratelimit import core as ratelimit

from surveys.models import Invitation, Response
from tests.surveys.factories import InvitationFactory, questionnaire
from tickets.tokens import api_token_create

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(settings):
    # A fast hasher: the test is about counting attempts, not about hashing them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)


def _login(client, username: str, password: str, address: str = "192.0.2.1"):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_100_wrong_passwords_then_the_right_one_no_longer_logs_in(client, alice):
    for _attempt in range(100):
        assert _login(client, "alice", "wrong").status_code in (200, 429)

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(client)
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Too many failed attempts" in page and "Please wait" in page
    assert 'class="site-header"' in page  # the site's layout


def test_the_account_is_limited_from_every_address(client, alice):
    for attempt in range(10):
        _login(client, "alice", "wrong", address=f"198.51.100.{attempt}")

    assert _login(client, "ALICE ", PASSWORD, address="203.0.113.7").status_code == 429


def test_one_address_trying_many_accounts_is_limited(client, alice):
    for attempt in range(30):
        _login(client, f"someone{attempt}", "wrong")

    assert _login(client, "alice", PASSWORD).status_code == 429
    assert _login(client, "alice", PASSWORD, address="203.0.113.7").status_code == 302


def test_a_person_who_mistypes_a_few_times_still_logs_in(client, alice):
    for _attempt in range(3):
        assert _login(client, "alice", "wrong").status_code == 200

    assert _login(client, "alice", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_the_wait_ends_with_the_window(client, alice, monkeypatch):
    for _attempt in range(10):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 429

    later = ratelimit.time.time() + 16 * 60
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))

    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_closed_too(client, alice):
    alice.is_staff = True
    alice.save()
    for _attempt in range(10):
        _login(client, "alice", "wrong")

    client.post(
        "/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )

    assert not _logged_in(client)


def test_the_wait_page_is_translated(client, alice):
    for _attempt in range(10):
        _login(client, "alice", "wrong")

    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1",
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip

    assert response.status_code == 429
    assert "Veuillez patienter" in response.content.decode()


def test_password_reset_requests_are_limited_per_address_and_per_account(client, alice, mailoutbox):
    url = reverse("password_reset")
    for _request in range(3):
        assert client.post(url, {"email": "alice@example.com"}).status_code == 302

    response = client.post(url, {"email": "Alice@example.com"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert "Please wait" in response.content.decode()
    assert len(mailoutbox) == 3


# --- API tokens ---------------------------------------------------------------------------------


def _api(client, token: str, address: str = "192.0.2.1"):
    return client.get(
        "/api/v1/kpis/fcr/?from=2024-03-01&to=2024-03-31", HTTP_AUTHORIZATION=f"Bearer {token}",
        REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip


def test_bad_tokens_from_one_address_get_429_with_retry_after(client):
    owner = User.objects.create_user("bot")
    _token, good = api_token_create(name="KPIs", user=owner, scopes=["kpis:read"])
    for attempt in range(30):
        assert _api(client, f"ecoute_guess{attempt}").status_code == 401

    refused = _api(client, good)
    elsewhere = _api(client, good, address="203.0.113.7")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"]
    assert elsewhere.status_code == 200


def test_a_revoked_token_used_from_many_addresses_is_limited(client):
    owner = User.objects.create_user("bot")
    token, raw = api_token_create(name="Old", user=owner, scopes=["kpis:read"])
    token.revoked_at = token.created_at
    token.save()
    for attempt in range(10):
        assert _api(client, raw, address=f"198.51.100.{attempt}").status_code == 401

    assert _api(client, raw, address="203.0.113.7").status_code == 429


def test_a_token_sending_too_many_requests_gets_429(client, settings):
    settings.API_RATE_LIMIT = "3/m"
    owner = User.objects.create_user("bot")
    _token, raw = api_token_create(name="KPIs", user=owner, scopes=["kpis:read"])

    statuses = [_api(client, raw).status_code for _request in range(4)]

    assert statuses == [200, 200, 200, 429]


# --- Survey links -------------------------------------------------------------------------------


def test_unknown_survey_links_from_one_address_get_a_429_page(client):
    invitation = cast(Invitation, InvitationFactory(questionnaire=questionnaire("NPS")))
    from surveys.tokens import token_issue

    valid = reverse("surveys:answer", args=[token_issue(invitation, "answer")])
    for attempt in range(30):
        assert client.get(f"/s/guess{attempt}/", REMOTE_ADDR="192.0.2.1").status_code == 404

    refused = client.get(valid, REMOTE_ADDR="192.0.2.1", HTTP_ACCEPT_LANGUAGE="en")
    customer = client.get(valid, REMOTE_ADDR="203.0.113.7")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Please wait" in refused.content.decode()
    assert customer.status_code == 200


def test_a_customer_opening_a_valid_link_many_times_is_never_limited(client):
    from surveys.tokens import token_issue

    invitation = cast(Invitation, InvitationFactory(questionnaire=questionnaire("NPS")))
    url = reverse("surveys:answer", args=[token_issue(invitation, "answer")])

    statuses = {client.get(url).status_code for _visit in range(40)}
    statuses |= {client.post(url, {"score": n % 11}).status_code for n in range(40)}

    assert statuses == {200, 302}
    assert Response.objects.count() == 1


# --- Where the counters live --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_the_cache_unreachable_the_limits_fail_open(client, alice, settings):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }}  # fmt: skip

    assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert client.get("/s/unknown-token/").status_code == 404


@pytest.mark.services
def test_failed_logins_are_counted_in_redis(client, alice, settings, redis_url):
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "test")
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
        "KEY_PREFIX": prefix,
    }}  # fmt: skip

    for _attempt in range(10):
        _login(client, "alice", "wrong")

    assert _login(client, "alice", PASSWORD).status_code == 429
    assert redis.Redis.from_url(redis_url).keys(f"{prefix}:*")


# --- Password validators ------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1!", "password123456", "123456789012", "alice-alice"])
def test_weak_passwords_are_refused(alice, password):
    with pytest.raises(ValidationError):
        validate_password(password, alice)


def test_a_long_uncommon_password_is_accepted(alice):
    validate_password("plum tuesday violin 42", alice)
