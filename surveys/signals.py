"""What `surveys` announces; other parts listen (the outgoing webhook, for one).

Sent inside the transaction that wrote the rows, like tickets.signals: a listener that queues
work writes its own row in that transaction and queues the task with
`config.celery.queue_after_commit`, which runs after the commit and never fails the caller.
"""

from django.dispatch import Signal

# response_id=<Response pk>, created=True the first time, False when the customer changes it.
response_recorded = Signal()
