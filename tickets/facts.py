"""Derived facts kept on contacts and tickets, so that KPIs read rows instead of scanning history.

Per inbound contact: the previous inbound contact of the same customer on the same reason, whether
it is a repeat (that previous one started at most FCR_WINDOW_DAYS before it) and whether it is
followed by one. Per ticket: its number of inbound contacts, its first inbound contact, and whether
its customer came back on the ticket's reason within the window after `solved_at`.

Every refresh recomputes a whole scope (some customers, or everything) from the rows as they are,
set-based, so the facts are exact whatever order history arrives in. Only rows whose facts change
are written.

"Within the window after t" is (t, t + window]: strictly after, the last second included. Contacts
are ordered by (started_at, external id), external ids compared as numbers when they are numbers:
length first, then text. A repeat is measured from the previous contact in that order, so a
second contact in the same second is a repeat of the first (0 s apart: "at most the window
before"), as the reference (tests/reference) counts it.
"""

from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import connection

# A scoped refresh writes a few rows of a large table: looked up by key. Joined as a set, the
# planner reads the whole table to find them (a second at a million contacts), whatever the
# number of rows that change. (An array of unknown size makes it look them up.)
_CHANGED_LOOKUP = "AND c.id = ANY(ARRAY(SELECT id FROM changed))"

# SQLite caps the number of bound parameters per statement.
_SCOPE_CHUNK = 500

_ORDER = "started_at, length(external_id), external_id"
# Public for set-based writers (the CSV import) that compute the same facts before inserting.
CONTACT_ORDER = _ORDER


class WindowSQL:
    """The one definition of the window rule (repeat, followed, re-contact), in a dialect's SQL.

    "`later` is within the window after `earlier`": at most FCR_WINDOW_DAYS after it, the last
    second included; callers know (by ordering, or by a condition of their own) that it is not
    before. PostgreSQL compares timestamps with an interval; SQLite, which has no interval type,
    compares whole milliseconds between two julian days. The window is the query parameter
    `%(window)s` (`param()` gives its value).
    """

    def __init__(self, vendor: str) -> None:
        self.postgres = vendor == "postgresql"

    def within(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"{later} <= {earlier} + %(window)s"
        return (
            f"CAST(round((julianday({later}) - julianday({earlier})) * 86400000) AS INTEGER)"
            " <= %(window)s"
        )

    def param(self) -> timedelta | int:
        window = fcr_window()
        return window if self.postgres else int(window.total_seconds() * 1000)

    # Over an inbound contact ordered by CONTACT_ORDER, with its neighbours' prev_at / next_at.
    def is_repeat(self) -> str:
        return f"COALESCE({self.within('started_at', 'prev_at')}, false)"

    def is_followed(self) -> str:
        return f"COALESCE({self.within('next_at', 'started_at')}, false)"

    def comes_back(self, contact: str = "c", ticket: str = "t") -> str:
        """An inbound contact `contact` starts within the window after ticket `ticket` solved."""
        later, solved = f"{contact}.started_at", f"{ticket}.solved_at"
        return f"{later} > {solved} AND {self.within(later, solved)}"


def window_sql(vendor: str | None = None) -> WindowSQL:
    return WindowSQL(vendor or connection.vendor)


def fcr_window() -> timedelta:
    return timedelta(days=settings.FCR_WINDOW_DAYS)


def facts_refresh(customer_ids: Iterable[int] | None = None) -> None:
    """Recompute the facts of the given customers' contacts and tickets (all when None)."""
    if customer_ids is None:
        _refresh_scope(None, {})
        facts_computed_whole()
        return
    ids = sorted(set(customer_ids))
    if not ids:
        return
    if connection.vendor == "postgresql":
        # One array parameter: one statement each, whatever the number of customers.
        _refresh_scope("= ANY(%(customers)s)", {"customers": ids})
        return
    for chunk in _chunks(ids, _SCOPE_CHUNK):
        names = [f"c{i}" for i in range(len(chunk))]
        marks = ", ".join(f"%({name})s" for name in names)
        _refresh_scope(f"IN ({marks})", dict(zip(names, chunk, strict=True)))


def facts_refresh_scoped(pairs_sql: str, tickets_sql: str) -> None:
    """Recompute the facts of the contacts in the (customer_id, reason) pairs `pairs_sql`
    selects, and of the tickets whose ids `tickets_sql` selects (SQL subqueries).

    For writers that know what they changed (the import): a contact's facts depend only on
    the inbound contacts of its customer on its reason, a ticket's only on its own inbound
    contacts and on its customer's contacts on its reason within the window after it was
    solved. Far fewer rows than all of the customers' contacts and tickets.
    """
    scope = {
        "contact_scope": f"AND (customer_id, reason) IN ({pairs_sql})",
        "ticket_scope": f"AND t.id IN ({tickets_sql})",
        "ranked_scope": f"AND ticket_id IN ({tickets_sql})",
        "changed_lookup": _CHANGED_LOOKUP,
    }
    _run_scope(scope, {})


def facts_refresh_between(first: int, last: int) -> None:
    """Recompute the facts of the customers whose primary key is in first..last."""
    _refresh_scope("BETWEEN %(first)s AND %(last)s", {"first": first, "last": last})


def facts_computed_whole() -> None:
    """Record that every stored fact was computed with the window in force now."""
    from .models import FactsState

    FactsState.objects.update_or_create(
        pk=1,
        defaults={
            "window_days": settings.FCR_WINDOW_DAYS,
            "rebuild_window_days": None,
            "rebuilt_through": None,
        },
    )


def _refresh_scope(customers: str | None, params: dict[str, object]) -> None:
    """`customers`: a condition on a customer key (`IN (...)`, `BETWEEN ...`); None: all."""
    if customers is None:
        scope = {"contact_scope": "", "ticket_scope": "", "ranked_scope": "", "changed_lookup": ""}
    else:
        # The customers' tickets and the tickets of their contacts: a UNION of two index
        # lookups (an OR of the two made PostgreSQL read every ticket).
        tickets = (
            f"(SELECT id FROM tickets_ticket WHERE customer_id {customers} UNION "
            f"SELECT ticket_id FROM tickets_contact WHERE customer_id {customers})"
        )
        scope = {
            "contact_scope": f"AND customer_id {customers}",
            "ticket_scope": f"AND t.id IN {tickets}",
            "ranked_scope": f"AND ticket_id IN {tickets}",
            "changed_lookup": _CHANGED_LOOKUP,
        }
    _run_scope(scope, params)


def _run_scope(scope: dict[str, str], params: dict[str, object]) -> None:
    dialect = _PostgresSQL if connection.vendor == "postgresql" else _SQLiteSQL
    params = {**params, "window": window_sql().param()}
    with connection.cursor() as cursor:
        for template in (dialect.CONTACTS, dialect.OUTBOUND_RESET, dialect.TICKETS):
            cursor.execute(template.format(**scope), params)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_PG = WindowSQL("postgresql")
_SQLITE = WindowSQL("sqlite")


class _PostgresSQL:
    CONTACTS = f"""
        WITH ordered AS (
            SELECT id, started_at, previous_contact_id, is_repeat, followed_in_window,
                   LAG(id) OVER w AS prev_id,
                   LAG(started_at) OVER w AS prev_at,
                   LEAD(started_at) OVER w AS next_at
            FROM tickets_contact
            WHERE direction = 'inbound' {{contact_scope}}
            WINDOW w AS (PARTITION BY customer_id, reason ORDER BY {_ORDER})
        ), facts AS (
            SELECT id, prev_id, previous_contact_id, is_repeat, followed_in_window,
                   {_PG.is_repeat()} AS rep,
                   {_PG.is_followed()} AS fol
            FROM ordered
        ), changed AS (
            -- Compared as read: only the rows whose facts change are looked up to be written.
            SELECT id, prev_id, rep, fol FROM facts
            WHERE previous_contact_id IS DISTINCT FROM prev_id
               OR is_repeat <> rep OR followed_in_window <> fol
        )
        UPDATE tickets_contact AS c
        SET previous_contact_id = f.prev_id, is_repeat = f.rep, followed_in_window = f.fol
        FROM changed AS f
        WHERE c.id = f.id {{changed_lookup}}
    """
    OUTBOUND_RESET = """
        UPDATE tickets_contact
        SET previous_contact_id = NULL, is_repeat = false, followed_in_window = false
        WHERE direction <> 'inbound' {contact_scope}
          AND (previous_contact_id IS NOT NULL OR is_repeat OR followed_in_window)
    """
    TICKETS = f"""
        WITH ranked AS (
            SELECT ticket_id, id,
                   ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY {_ORDER}) AS rn,
                   COUNT(*) OVER (PARTITION BY ticket_id) AS n
            FROM tickets_contact
            WHERE direction = 'inbound' AND ticket_id IS NOT NULL {{ranked_scope}}
        ), facts AS (
            SELECT t.id, r.id AS first_id, COALESCE(r.n, 0) AS n,
                   (t.solved_at IS NOT NULL AND EXISTS (
                        SELECT 1 FROM tickets_contact AS c
                        WHERE c.customer_id = t.customer_id AND c.reason = t.reason
                          AND c.direction = 'inbound'
                          AND {_PG.comes_back()}
                   )) AS back
            FROM tickets_ticket AS t
            LEFT JOIN ranked AS r ON r.ticket_id = t.id AND r.rn = 1
            WHERE true {{ticket_scope}}
        )
        UPDATE tickets_ticket AS t
        SET inbound_count = f.n, first_inbound_contact_id = f.first_id,
            recontact_in_window = f.back
        FROM facts AS f
        WHERE t.id = f.id
          AND (t.inbound_count <> f.n OR t.recontact_in_window <> f.back
               OR t.first_inbound_contact_id IS DISTINCT FROM f.first_id)
    """


class _SQLiteSQL:
    CONTACTS = f"""
        WITH ordered AS (
            SELECT id, started_at,
                   LAG(id) OVER w AS prev_id,
                   LAG(started_at) OVER w AS prev_at,
                   LEAD(started_at) OVER w AS next_at
            FROM tickets_contact
            WHERE direction = 'inbound' {{contact_scope}}
            WINDOW w AS (PARTITION BY customer_id, reason ORDER BY {_ORDER})
        ), facts AS (
            SELECT id, prev_id,
                   {_SQLITE.is_repeat()} AS rep,
                   {_SQLITE.is_followed()} AS fol
            FROM ordered
        )
        UPDATE tickets_contact
        SET previous_contact_id = f.prev_id, is_repeat = f.rep, followed_in_window = f.fol
        FROM facts AS f
        WHERE tickets_contact.id = f.id
          AND (tickets_contact.previous_contact_id IS NOT f.prev_id
               OR tickets_contact.is_repeat <> f.rep OR tickets_contact.followed_in_window <> f.fol)
    """
    OUTBOUND_RESET = """
        UPDATE tickets_contact
        SET previous_contact_id = NULL, is_repeat = 0, followed_in_window = 0
        WHERE direction <> 'inbound' {contact_scope}
          AND (previous_contact_id IS NOT NULL OR is_repeat OR followed_in_window)
    """
    TICKETS = f"""
        WITH ranked AS (
            SELECT ticket_id, id,
                   ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY {_ORDER}) AS rn,
                   COUNT(*) OVER (PARTITION BY ticket_id) AS n
            FROM tickets_contact
            WHERE direction = 'inbound' AND ticket_id IS NOT NULL {{ranked_scope}}
        ), facts AS (
            SELECT t.id, r.id AS first_id, COALESCE(r.n, 0) AS n,
                   (t.solved_at IS NOT NULL AND EXISTS (
                        SELECT 1 FROM tickets_contact AS c
                        WHERE c.customer_id = t.customer_id AND c.reason = t.reason
                          AND c.direction = 'inbound' AND {_SQLITE.comes_back()}
                   )) AS back
            FROM tickets_ticket AS t
            LEFT JOIN ranked AS r ON r.ticket_id = t.id AND r.rn = 1
            WHERE 1 {{ticket_scope}}
        )
        UPDATE tickets_ticket
        SET inbound_count = f.n, first_inbound_contact_id = f.first_id,
            recontact_in_window = f.back
        FROM facts AS f
        WHERE tickets_ticket.id = f.id
          AND (tickets_ticket.inbound_count <> f.n OR tickets_ticket.recontact_in_window <> f.back
               OR tickets_ticket.first_inbound_contact_id IS NOT f.first_id)
    """
