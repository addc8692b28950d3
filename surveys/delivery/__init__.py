"""Delivery: getting decided invitations to customers, once.

The outbox row is the truth; Celery only carries ids. An invitation moves

    pending --claim--> sending --hand-off--> sent --> answered | expired
                          |                   \\--> (one reminder, same claim dance)
                          +--provider error--> pending (attempts + 1, later) | failed

- `claims`: a beat task claims due rows in batches (SELECT ... FOR UPDATE SKIP LOCKED on
  PostgreSQL), stamps them with a claim id and queues one task per batch after commit. If the
  queue refuses the task (Redis down), the claim is released at once; a claim nobody finished
  within the lease is released by the next beat run.
- `sending`: a worker sends a batch over one connection. Just before handing a message to the
  provider it stamps `sent_at` on the row, if and only if the row is still its own and not yet
  handed (one committed UPDATE that must touch one row); right after, it commits `sent`.
- `messages`: the email and SMS bodies, one function per kind, in the customer's language.

Never twice, precisely: a row is handed to the provider only by the worker whose conditional
UPDATE stamped `sent_at`, so the same batch queued twice, a redelivered task or a released and
re-claimed row cannot send it again. The one case the database cannot settle is a worker killed
between stamping a row and committing `sent` (at most one row per killed worker): the message
may or may not have reached the provider. Releasing that claim marks the row `sent` with a
note in `last_error` rather than sending it again: at most once, never twice. A connection that
drops after the server has taken a message but before it has said so is the other blind spot;
that row goes back to pending, so for it delivery is at least once, as with any SMTP client.
The per-email commits are not flushed to disk one by one (sending.py says why): a crash of
PostgreSQL itself, not of a worker, can lose the last ~0.6 s of them and resend what they
covered, unless INVITATION_DURABLE_STAMPS is on.
"""
