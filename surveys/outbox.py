"""Outbox rows for what leaves after an answer commits: response webhooks and lead alerts.

Each message is a row written in the transaction that decided it, with a state and a due time;
a task queued after the commit sends it. Nothing is lost when the queue refuses the task (broker
down), a worker dies, or the task's retries run out: the beat's catch-up queues every row that
is overdue. Nothing is sent twice by us: a task takes the row before sending (a conditional
UPDATE that pushes its due time a lease ahead) and settles it after, so two tasks for one row
(the after-commit one and the catch-up's) never both send it. A worker killed between sending
and settling leaves the row to be sent again after the lease: at least once, never lost.

Timing, all on the row's due time:
- a task may take a row from SLACK before it is due (two machines' clocks differ a little);
- taking pushes it LEASE ahead, so nobody else takes it while it is being sent;
- a transient failure sets it to when the task's own retry will run (backoff with jitter);
- the catch-up queues the rows due more than GRACE ago, whose task never came, and moves their
  due time to now, so that the next catch-up does not queue them again before they are taken.

The same rules serve two tables: `WebhookDelivery` (its own row per event) and `FollowUp` (its
`alert_` columns). `Columns` names the fields of each.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .models import OutboxState

SLACK = timedelta(seconds=5)
LEASE = timedelta(minutes=5)
GRACE = timedelta(seconds=60)
# Celery retries: 10 s, 20 s, 40 s... up to an hour, each drawn at random below (full jitter);
# after the last one the catch-up keeps trying at least hourly.
BACKOFF_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
MAX_RETRIES = 10
CATCH_UP_BATCH = 500


class RetryLater(Exception):
    """A transient failure, recorded on the row; the task retries after `countdown` seconds."""

    def __init__(self, error: str, countdown: int) -> None:
        super().__init__(error, countdown)  # Both in args: Celery pickles exceptions.
        self.error, self.countdown = error, countdown

    def __str__(self) -> str:
        return self.error


@dataclass(frozen=True)
class Columns:
    """The fields holding one kind of outbox row's state."""

    state: str
    due_at: str
    attempts: str
    error: str

    def take(self, queryset: QuerySet, now: datetime | None = None) -> bool:
        """Take the one row of `queryset` for sending; False if it is not ours to send."""
        now = now or timezone.now()
        return (
            queryset.filter(
                **{self.state: OutboxState.PENDING, f"{self.due_at}__lte": now + SLACK}
            ).update(**{self.due_at: now + LEASE})
            == 1
        )

    def settle(self, queryset: QuerySet, state: str, error: str = "", **more) -> int:
        """Sent, or failed for good (a refusal that no retry will change)."""
        return queryset.update(
            **{self.state: state, self.due_at: None, self.error: error[:2000]}, **more
        )

    def retry_later(self, queryset: QuerySet, error: str, attempts: int) -> RetryLater:
        """Record a transient failure; the caller raises what this returns."""
        countdown = get_exponential_backoff_interval(
            BACKOFF_SECONDS, attempts, BACKOFF_MAX_SECONDS, full_jitter=True
        )
        queryset.update(
            **{
                self.due_at: timezone.now() + timedelta(seconds=countdown),
                self.attempts: F(self.attempts) + 1,
                self.error: error[:2000],
            }
        )
        return RetryLater(error, countdown)

    def request(self, queryset: QuerySet, now: datetime | None = None) -> int:
        """Make settled rows pending again, due now (something new to tell about)."""
        return queryset.exclude(**{self.state: OutboxState.PENDING}).update(
            **{
                self.state: OutboxState.PENDING,
                self.due_at: now or timezone.now(),
                self.attempts: 0,
                self.error: "",
            }
        )

    def overdue(self, queryset: QuerySet, *, grace: timedelta = GRACE) -> list[int]:
        """Claim for the catch-up the rows due more than `grace` ago; returns their ids."""
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                queryset.filter(
                    **{self.state: OutboxState.PENDING, f"{self.due_at}__lte": now - grace}
                )
                .order_by(self.due_at)
                .values_list("pk", flat=True)[:CATCH_UP_BATCH]
            )
            queryset.filter(pk__in=ids).update(**{self.due_at: now})
        return ids


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
