"""`/healthz` and `/readyz`: no login, any Host, plain HTTP; 503 naming what is down."""

import pytest
from django.db import OperationalError

from tests.surveys.delivery_support import free_port
from web import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login_whatever_the_host(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # probes come over plain HTTP, to the pod's address

    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_with_the_database_and_no_broker_in_the_embedded_setup(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not used"}


@pytest.mark.services
def test_readyz_reaches_the_real_database_and_broker(client, settings, postgres, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readyz_says_503_and_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


def test_readyz_says_503_and_names_the_database_when_it_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Unreachable())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "broker": "not used",
    }
    assert "refused" not in response.content.decode()  # the reason is logged, not shown
