"""Suite-wide fixtures.

With DATABASE_URL / CELERY_BROKER_URL set the suite runs on PostgreSQL and Redis; tests that
need them are marked `services`. Without them those tests skip, except with REQUIRE_SERVICES=1
(CI), where a missing service fails the run.
"""

import os
from pathlib import Path
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _abuse_limits_from_zero(settings):
    """Each test starts with an empty cache (abuse limits counted from zero, no overview panel
    cached by another test), under a cache key prefix of its own: Redis is shared by the suite's
    workers (and is the broker in CI, so it is never flushed), and memory by a worker's tests."""
    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": f"test-{uuid4().hex}"}
        for name, conf in settings.CACHES.items()
    }


@pytest.fixture
def postgres(db):
    """Skip (or fail in CI) unless the test database is PostgreSQL."""
    if connection.vendor != "postgresql":
        _missing("the test database is not PostgreSQL (set DATABASE_URL)")
    return connection


@pytest.fixture
def redis_url():
    """The Redis URL Celery uses; skip (or fail in CI) when there is none or it is down."""
    url = settings.CELERY_BROKER_URL or os.environ.get("REDIS_URL", "")
    if not url:
        _missing("no CELERY_BROKER_URL/REDIS_URL is set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def redis_server():
    """The redis-server program, for fault tests that run a Redis of their own."""
    import shutil

    program = shutil.which("redis-server")
    if program is None:
        _missing("redis-server is not installed")
    return program


@pytest.fixture(scope="session")
def reference_dir():
    """The reference history (18 months) with the KPIs computed by two engines.

    A copy kept in the repository (tests/reference/SOURCE.md says where it comes from), so that
    a clone alone passes its tests.
    """
    return Path(__file__).resolve().parent / "reference"


@pytest.fixture
def eager():
    """Run queued tasks in-process even when a broker is configured (CI)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def pytest_collection_modifyitems(items) -> None:
    """Every transactional test restores the saved rows (serialized_rollback), or none may.

    A transactional test's flush without it runs post_migrate, which creates the content types
    again under new ids; a serialized test that follows it on the same worker then fails to put
    back the rows it saved. Which test follows which depends on how xdist shares them out, so
    the failure would come and go: refuse the mix at collection instead.
    """
    unserialized = [
        item.nodeid
        for item in items
        if (marker := item.get_closest_marker("django_db"))
        and marker.kwargs.get("transaction")
        and not marker.kwargs.get("serialized_rollback")
    ]
    if unserialized:
        raise pytest.UsageError(
            "mark transactional tests django_db(transaction=True, serialized_rollback=True): "
            + ", ".join(unserialized)
        )
