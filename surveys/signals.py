"""What `surveys` announces; other parts listen (the outgoing webhook, for one).

Sent inside the transaction that wrote the rows, like tickets.signals: a listener that queues
work must do it on commit (`task.delay_on_commit(...)`).
"""

from django.dispatch import Signal

# response_id=<Response pk>, created=True the first time, False when the customer changes it.
response_recorded = Signal()
