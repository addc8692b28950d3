"""The Celery application; tasks live in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ecoute")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every(setting: str, default: int) -> float:
    from django.conf import settings

    return float(getattr(settings, setting, default))


@app.on_after_configure.connect
def _beat_schedule(sender: Celery, **kwargs) -> None:
    # Delivery runs often and claims in batches; each task is cheap when nothing is due.
    every = _every("DELIVERY_BEAT_SECONDS", 15)
    sender.conf.beat_schedule = {
        "invitations-dispatch": {"task": "surveys.tasks.invitations_dispatch", "schedule": every},
        "claims-release-stale": {"task": "surveys.tasks.claims_release_stale", "schedule": 60.0},
        "reminders-dispatch": {"task": "surveys.tasks.reminders_dispatch", "schedule": 300.0},
        "invitations-expire": {"task": "surveys.tasks.invitations_expire", "schedule": 300.0},
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
