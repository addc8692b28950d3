"""Celery tasks of the connectors, on their own queue (CELERY_TASK_ROUTES in settings)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import processing, pull, services
from .models import Source


@shared_task(acks_late=True, ignore_result=True)
def payloads_process() -> int:
    """Record the due bodies, batch by batch. Queued after each body is stored, and by the
    beat, which catches up bodies whose queueing failed (broker down) or that wait for a
    ticket."""
    return processing.payloads_process()


@shared_task(acks_late=True, ignore_result=True)
def sources_sync() -> dict[str, int]:
    """Beat: pull every active source that has something to pull."""
    return {
        source.slug: pull.source_sync(source)
        for source in Source.objects.filter(is_active=True).exclude(base_url="")
        if pull.streams_of(source)
    }


@shared_task(acks_late=True, ignore_result=True)
def payloads_purge() -> int:
    """Beat: forget bodies recorded long ago (failed ones stay until fixed)."""
    before = timezone.now() - timedelta(days=settings.CONNECTORS_KEEP_DAYS)
    return services.payloads_purge(before)
