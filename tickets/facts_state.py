"""Which window the stored facts were computed with, and recomputing them with another.

The facts (tickets.facts) hold the repeat and re-contact window (FCR_WINDOW_DAYS) inside them.
When the setting changes, the stored facts keep the old window until `facts_rebuild` has
recomputed every customer's; writes meanwhile compute their customers' facts with the new one.
`facts_stale()` says so, for the system check, the start-up message and the figures' flags.

The recomputation goes by runs of customers (primary keys), one transaction each, recording the
last customer done: interrupted, it resumes after it; a window changed again starts it over.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min

from .facts import facts_computed_whole, facts_refresh_between
from .models import Customer, FactsState

# Customers (by primary key) recomputed per transaction: about 3 contacts each, a few seconds.
STEP_CUSTOMERS = 20_000

Progress = Callable[[int, int], None]  # (customers done, customers in all)


def facts_window() -> int:
    """The window the stored facts were computed with (never recorded: the setting's)."""
    stored = FactsState.objects.filter(pk=1).values_list("window_days", flat=True).first()
    return settings.FCR_WINDOW_DAYS if stored is None else stored


def facts_stale() -> tuple[int, int] | None:
    """(stored window, setting) when the stored facts were computed with another window or a
    recomputation is unfinished; None when they are current."""
    state = FactsState.objects.filter(pk=1).first()
    if state is None:
        return None
    wanted = settings.FCR_WINDOW_DAYS
    if state.window_days != wanted or state.rebuild_window_days is not None:
        return state.window_days, wanted
    return None


def facts_rebuild(*, restart: bool = False, progress: Progress | None = None) -> int:
    """Recompute every customer's facts with FCR_WINDOW_DAYS; returns the customers done now.

    Resumes an interrupted run with the same window unless `restart`.
    """
    wanted = settings.FCR_WINDOW_DAYS
    bounds = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    with transaction.atomic():
        state, _created = FactsState.objects.select_for_update().get_or_create(
            pk=1, defaults={"window_days": wanted}
        )
        resume = (
            not restart
            and state.rebuild_window_days == wanted
            and state.rebuilt_through is not None
        )
        if not resume:
            state.rebuild_window_days, state.rebuilt_through = wanted, None
            state.save()
    if bounds["first"] is None:
        facts_computed_whole()
        return 0
    first, last = bounds["first"], bounds["last"]
    start = state.rebuilt_through + 1 if resume and state.rebuilt_through is not None else first
    done = 0
    for low in range(start, last + 1, STEP_CUSTOMERS):
        high = min(low + STEP_CUSTOMERS - 1, last)
        with transaction.atomic():
            facts_refresh_between(low, high)
            FactsState.objects.filter(pk=1).update(rebuilt_through=high)
        done += high - low + 1
        if progress:
            progress(high - first + 1, last - first + 1)
    facts_computed_whole()
    return done
