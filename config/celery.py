"""The Celery application, and how the apps queue a task after a commit; tasks live in each
app's tasks.py."""

import logging
import os
from functools import partial

from celery import Celery, Task
from celery.exceptions import Retry
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ecoute")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# One quick reconnection, then give up: the request that queued the task is waiting, and
# whatever could not be queued is caught up by the beat.
QUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def queue_after_commit(task: Task, *args: object) -> None:
    """Queue `task(*args)` once the current transaction commits; never fails the caller.

    A broker that is down or refuses the message must not turn a customer's answer into an
    error page, nor undo what was committed: the failure is logged, and every caller keeps a
    trace of the work (an outbox row, a dirty day) that a beat task finds again.
    """
    from django.db import transaction

    transaction.on_commit(partial(_queue, task, args))


def queue_after_commit_throttled(task: Task, key: str, seconds: int = 1) -> None:
    """Queue `task()`, a task that takes all the work waiting (every dirty day), once the
    current transaction commits: at most one message per `seconds` for all processes.

    A publish costs about a millisecond of the web process's CPU, and a customer's answer marks
    a day dirty each time: one refresh a second does the same work. The key lives in the shared
    cache for `seconds`, and the run queued by whoever set it starts after it has expired, so it
    sees every write whose own message the key skipped. Without a broker (the demo, the tests)
    the task runs each time, in-process, as before.
    """
    from django.db import transaction

    transaction.on_commit(partial(_queue_throttled, task, key, seconds))


def _queue_throttled(task: Task, key: str, seconds: int) -> None:
    from django.conf import settings
    from django.core.cache import cache

    if settings.CELERY_TASK_ALWAYS_EAGER:
        _queue(task, ())
        return
    try:
        first = cache.add(key, 1, timeout=seconds)
    except Exception:
        first = True  # no shared cache to ask: one message per write, as without the throttle
    if first:
        _queue(task, (), countdown=2 * seconds)


def _queue(task: Task, args: tuple, countdown: float | None = None) -> None:
    try:
        if countdown is None:
            task.apply_async(args=args, retry_policy=QUEUE_RETRY_POLICY)
        else:
            task.apply_async(args=args, retry_policy=QUEUE_RETRY_POLICY, countdown=countdown)
    except Retry as retry:
        # Without a broker the task runs here, eagerly, and asked to be retried later: its
        # row says when, and the beat takes it from there.
        logger.warning("%s%r failed in-process (%s); left to the beat", task.name, args, retry)
    except Exception:
        # The broker is down, or (without one) the task failed in-process: never the caller's
        # problem.
        logger.exception("%s%r not queued, or failed in-process; left to the beat", task.name, args)


@task_prerun.connect
def _drop_broken_database_connections(task: Task | None = None, **kwargs: object) -> None:
    """Start each task on a working database connection.

    Celery's Django fix-up keeps a worker's connection for CELERY_DB_REUSE_MAX tasks; after a
    PostgreSQL restart that connection is dead, and every task would fail on it until then.
    Django drops broken (and, past CONN_MAX_AGE, old) connections around each request; this
    does the same around each task, at the cost of a flag check when nothing is wrong.
    """
    from django.db import close_old_connections

    # In-process (no broker, or tests) the caller's connection and transaction are in use.
    if task is None or not task.request.is_eager:
        close_old_connections()


def _every(setting: str, default: int) -> float:
    from django.conf import settings

    return float(getattr(settings, setting, default))


@app.on_after_configure.connect
def _eager_broker(sender: Celery, **kwargs) -> None:
    # Eager, without a broker: nothing is sent, but kombu would fall back to AMQP on localhost
    # and warn about it. The settings keep "" so that the rest of the site sees no broker.
    # (Here, not at import: reading the configuration then would run this signal's receivers
    # before they are connected.)
    if not sender.conf.broker_url:
        sender.conf.update(broker_url="memory://localhost/")


@app.on_after_configure.connect
def _beat_schedule(sender: Celery, **kwargs) -> None:
    # Delivery runs often and claims in batches; each task is cheap when nothing is due.
    every = _every("DELIVERY_BEAT_SECONDS", 15)
    sender.conf.beat_schedule = {
        "invitations-dispatch": {"task": "surveys.tasks.invitations_dispatch", "schedule": every},
        "claims-release-stale": {"task": "surveys.tasks.claims_release_stale", "schedule": 60.0},
        "reminders-dispatch": {"task": "surveys.tasks.reminders_dispatch", "schedule": 300.0},
        "invitations-expire": {"task": "surveys.tasks.invitations_expire", "schedule": 300.0},
        # Webhooks and alerts whose task never ran (broker down) or ran out of retries.
        "outbox-catch-up": {"task": "surveys.tasks.outbox_catch_up", "schedule": 60.0},
        # Writes queue it after commit; this catches a queueing that failed (broker down).
        "kpi-rollups-refresh": {"task": "kpis.tasks.kpi_rollups_refresh", "schedule": 300.0},
        # Bodies are queued as they arrive; this catches up a queueing that failed and bodies
        # waiting for a ticket not received yet.
        "connectors-process": {"task": "connectors.tasks.payloads_process", "schedule": 60.0},
        "connectors-sync": {
            "task": "connectors.tasks.sources_sync",
            "schedule": _every("CONNECTORS_SYNC_SECONDS", 300),
        },
        "connectors-purge": {"task": "connectors.tasks.payloads_purge", "schedule": 86400.0},
    }
