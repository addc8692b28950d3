"""Run by tests/kpis/test_replica.py in a process of its own, whose DATABASE_URL names a private
primary and DATABASE_REPLICA_URL its streaming replica; prints what it saw as JSON.

    python tests/kpis/replica_session.py HISTORY_DIR
"""

import io
import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kpis import routers  # noqa: E402
from kpis.report import build_report  # noqa: E402
from tickets.records import ContactRecord  # noqa: E402
from tickets.services import contacts_upsert  # noqa: E402

START, END = date(2025, 1, 1), date(2025, 2, 28)
KPI_URL = f"/api/v1/kpis/repeat/?from={START}&to={END}&granularity=month"
HISTORY_TABLES = ('"tickets_contact"', "tickets_ticket", "kpis_", "surveys_response")
# What managers set (targets, sector references, reasons' labels) is read on the primary, then
# cached: a replica's lag must not keep an edit out of the cache for an hour.
SETTINGS_TABLES = ("kpis_channeltarget", "kpis_sectorreference", "tickets_contactreason")


def is_history(sql: str) -> bool:
    return any(t in sql for t in HISTORY_TABLES) and not any(t in sql for t in SETTINGS_TABLES)


def one(alias: str, sql: str) -> object:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up() -> None:
    """Wait (at most 60 s) until the replica has replayed all the primary has written."""
    target = one("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if one("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise SystemExit("the replica did not catch up within 60 s")


def figures(client: Client) -> list:
    answer = client.get(KPI_URL, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200, answer.content[:2000]
    return answer.json()["rows"]


def on_primary(client: Client) -> list:
    replica_alias = routers.kpi_alias
    routers.kpi_alias = lambda: "default"  # the same page, read from the primary
    try:
        return figures(client)
    finally:
        routers.kpi_alias = replica_alias


def main(history: Path) -> dict:
    call_command("migrate", verbosity=0)
    call_command("import_history", str(history), stdout=io.StringIO())
    manager = User.objects.create_user("qm", password="unused-in-this-test")
    manager.groups.add(Group.objects.get_or_create(name="quality_managers")[0])
    client = Client()
    client.force_login(manager)
    caught_up()
    seen: dict = {
        "replica_in_recovery": one("replica", "SELECT pg_is_in_recovery()"),
        "primary_in_recovery": one("default", "SELECT pg_is_in_recovery()"),
    }

    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        before = figures(client)
        dashboard = client.get(f"/dashboard/?from={START}&to={END}")
        assert dashboard.status_code == 200, dashboard.content[:3000]
        build_report(START, END)
    seen["dashboard_status"] = dashboard.status_code
    seen["replica_history_reads"] = sum(is_history(q["sql"]) for q in replica.captured_queries)
    seen["primary_history_reads"] = [
        q["sql"][:120] for q in primary.captured_queries if is_history(q["sql"])
    ]

    # Replay paused: a write lands on the primary only, and the pages still read the replica.
    one("replica", "SELECT pg_wal_replay_pause()::text")
    at = datetime(2025, 1, 15, 9, tzinfo=UTC)
    contacts_upsert([
        ContactRecord(f"R-{i}", "replica-customer", "phone", "billing", "inbound", at, ticket="RT")
        for i in range(3)
    ])  # fmt: skip
    seen["replica_while_paused"] = figures(client) == before
    seen["primary_after_write"] = on_primary(client)
    seen["primary_changed"] = seen["primary_after_write"] != before

    one("replica", "SELECT pg_wal_replay_resume()::text")
    caught_up()
    seen["replica_after_catch_up"] = figures(client)
    seen["served_from_rollups"] = _reads_rollups(client)
    return seen


def _reads_rollups(client: Client) -> bool:
    with CaptureQueriesContext(connections["replica"]) as replica:
        figures(client)
    return any("kpis_contactday" in q["sql"] for q in replica.captured_queries)


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), default=str))
