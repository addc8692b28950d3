"""KPI pages read from a real streaming replica; writes go to the primary; once the replica has
caught up, its figures are the primary's (kpis.routers)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import _missing
from tests.kpis.private_postgres import Clusters, binaries

pytestmark = [pytest.mark.slow, pytest.mark.services]

SESSION = Path(__file__).with_name("replica_session.py")


@pytest.fixture
def primary_and_replica(postgres):
    bin_dir = binaries()
    if bin_dir is None:
        _missing("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    # Not under pytest's folder: the `postgres` user must reach it.
    root = Path(tempfile.mkdtemp(prefix="ecoute-replica-"))
    clusters = Clusters(root, bin_dir)
    try:
        primary = clusters.primary()
        yield primary, clusters.replica_of(primary)
    finally:
        clusters.stop_all()
        shutil.rmtree(root, ignore_errors=True)


def test_kpi_pages_read_the_replica_and_equal_the_primary_once_caught_up(
    primary_and_replica, tmp_path
):
    primary, replica = primary_and_replica
    history = tmp_path / "history"
    call_command(
        "generate_history", str(history), contacts=1500, seed=3, start=date(2025, 1, 1), months=2,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )  # fmt: skip
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": primary.url,
        "DATABASE_REPLICA_URL": replica.url,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "TIME_ZONE": "UTC",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
    }

    done = subprocess.run(
        [sys.executable, str(SESSION), str(history)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[:3000]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["replica_in_recovery"] is True and seen["primary_in_recovery"] is False
    assert seen["dashboard_status"] == 200
    assert seen["replica_history_reads"] > 10
    assert seen["primary_history_reads"] == []
    assert seen["replica_while_paused"] is True and seen["primary_changed"] is True
    assert seen["replica_after_catch_up"] == seen["primary_after_write"]
    assert seen["served_from_rollups"] is True
