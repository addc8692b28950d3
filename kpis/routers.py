"""KPI reads on a read replica (DATABASE_REPLICA_URL), everything else on the primary.

What managers read (the report, the KPI API and its exports, the dashboard, the home page's
overview) runs inside `kpi_reads()`: one read-only transaction, REPEATABLE READ on PostgreSQL,
on the replica when there is one. Every query of a page or report then sees one snapshot, and a
snapshot of a streaming replica is a state the primary committed (WAL is replayed in commit
order). A history write marks its days dirty in its own transaction, and the refresh rebuilds them
and deletes the marks in one transaction: in any committed state, a day without a mark has
rollups equal to its history. So the served-from-rollups rule (kpis.rollups.serving) is exact on
the replica too: the figures are those of the primary as of the replica's replay point (behind by
the replication lag, usually well under a second; a write may not show at once).

Writes, the rollup refresh and every read outside `kpi_reads()` (services read before they
write) go to the primary: the router sends reads to the replica only inside the context.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections, transaction

REPLICA = "replica"

_reading: ContextVar[bool] = ContextVar("kpi_reads", default=False)


def kpi_alias() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"


@contextmanager
def kpi_reads() -> Iterator[None]:
    """Run the KPI reads within on one snapshot, of the replica when there is one."""
    if _reading.get():
        yield
        return
    alias = kpi_alias()
    connection = connections[alias]
    outermost = not connection.in_atomic_block
    token = _reading.set(True)
    try:
        # Inside a caller's transaction (tests, a command's atomic block), its snapshot serves.
        with transaction.atomic(using=alias, savepoint=False):
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Reads inside `kpi_reads()` to the replica; everything else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return kpi_alias() if _reading.get() else "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows, on either server

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"  # a replica follows the primary's schema by replication
