"""The label a person reads for each code the history carries: channels, directions,
priorities and contact reasons, in the active language.

Every page, email, survey question and export names a code through this module; the API and
JSON keep the codes. Contact reasons come from the catalogue (ContactReason, editable in the
admin), read once and kept in the cache until the catalogue changes; a code the catalogue does
not hold reads as itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db import router, transaction
from django.db.models import QuerySet
from django.utils.translation import get_language

from .models import Channel, ContactReason, Direction, Priority

CACHE_KEY = "tickets:reason-labels"
ACTIVE_KEY = "tickets:reasons-active"
CACHE_SECONDS = 3600
# The catalogue held for a block that labels many rows (an export): one read, not one a row.
_held: ContextVar[dict[str, tuple[str, str]] | None] = ContextVar("reason_labels", default=None)


def _choice(choices: type[Channel] | type[Direction] | type[Priority], code: str | None) -> str:
    if not code:
        return ""
    return str(choices(code).label) if code in choices.values else code


def channel_label(code: str | None) -> str:
    return _choice(Channel, code)


def direction_label(code: str | None) -> str:
    return _choice(Direction, code)


def priority_label(code: str | None) -> str:
    return _choice(Priority, code)


def _catalogue() -> QuerySet[ContactReason]:
    """Read where it is written: a replica's lag must not keep an edit out of the cache."""
    return ContactReason.objects.using(router.db_for_write(ContactReason))


def reason_labels() -> dict[str, tuple[str, str]]:
    """{code: (French label, English label)} of the whole catalogue."""
    labels = _held.get()
    if labels is not None:
        return labels
    labels = cache.get(CACHE_KEY)
    if labels is None:
        labels = {
            code: (fr, en)
            for code, fr, en in _catalogue().values_list("code", "label_fr", "label_en")
        }
        cache.set(CACHE_KEY, labels, CACHE_SECONDS)
    return labels


@contextmanager
def labels_held() -> Iterator[None]:
    """Read the catalogue once for the whole block."""
    token = _held.set(reason_labels())
    try:
        yield
    finally:
        _held.reset(token)


def reason_label(code: str | None, labels: dict[str, tuple[str, str]] | None = None) -> str:
    """A reason's label in the active language (the code itself when it has none)."""
    if not code:
        return ""
    known = (labels if labels is not None else reason_labels()).get(code)
    if known is None:
        return code
    french, english = known
    return (french if (get_language() or "fr").startswith("fr") else english) or code


def reason_choices(selected: str = "") -> list[tuple[str, str]]:
    """(code, label) of the active reasons, by label, for filters; with the one selected even
    when it is no longer active (or several, comma-separated, from a link)."""
    codes = cache.get(ACTIVE_KEY)
    if codes is None:
        codes = set(_catalogue().filter(active=True).values_list("code", flat=True))
        cache.set(ACTIVE_KEY, codes, CACHE_SECONDS)
    labels = reason_labels()
    choices = [(code, reason_label(code, labels)) for code in codes]
    if selected and selected not in codes:
        shown = ", ".join(reason_label(c, labels) for c in selected.split(",") if c)
        choices.append((selected, shown))
    return sorted(choices, key=lambda pair: pair[1].lower())


def labels_forget() -> None:
    """Drop the cached catalogue, now and once the transaction commits."""
    cache.delete_many([CACHE_KEY, ACTIVE_KEY])
    transaction.on_commit(lambda: cache.delete_many([CACHE_KEY, ACTIVE_KEY]))


def reasons_ensure(codes: Iterable[str]) -> None:
    """Add the reasons the catalogue lacks, each labelled by its code until someone names it."""
    wanted = {c for c in codes if c}
    missing = wanted - reason_labels().keys()
    if not missing:
        return
    ContactReason.objects.bulk_create(
        [ContactReason(code=c, label_fr=c, label_en=c) for c in sorted(missing)],
        ignore_conflicts=True,
    )
    labels_forget()


def reason_saved(**kwargs: object) -> None:
    """Receiver: an edit in the admin shows on the next page."""
    labels_forget()


def labels_stamp() -> str:
    """Changes with any label of the catalogue: part of the keys of cached pages."""
    return hashlib.sha256(repr(sorted(reason_labels().items())).encode()).hexdigest()[:16]
