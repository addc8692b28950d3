"""What `tickets` announces; other apps listen (connected in their AppConfig.ready()).

Each signal carries lists of primary keys and is sent once per batch (one API call, one import),
never once per row, inside the transaction that wrote the rows: a listener that writes (the survey
outbox) commits or rolls back with them.
"""

from django.dispatch import Signal

# created=[contact pk, ...], updated=[contact pk, ...], source="api" | "import" | ...
contact_recorded = Signal()
# ticket_ids=[ticket pk, ...]: tickets that went from open to solved.
ticket_solved = Signal()
# ticket_ids=[ticket pk, ...]: tickets that went from solved back to open.
ticket_reopened = Signal()
# What a batch changed, old and new values, for listeners that keep figures derived from the
# history (per-day rollups): contacts_at=[started_at, ...], solved_at=[solved_at, ...],
# ticket_ids=[tickets of the contacts], contact_ids=[contacts updated], answers_at=[times of
# survey rows written in bulk]; or everything=True after a whole-history write (the CSV import).
history_changed = Signal()
