"""The two files every history directory has: tickets.csv and contacts.csv."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Channel, Direction, Priority
from .csv_rows import Column, Format, choice, optional_id, parse_time, required_id, time_column
from .csv_rows import whole_number as number

TICKETS = Format(
    "tickets.csv",
    (
        required_id("ticket_id"),
        required_id("customer_id"),
        required_id("reason"),
        Column("priority", choice(Priority.values, gettext_lazy("priority")), required=True),
        time_column("created_at", required=True),
        time_column("solved_at"),
    ),
)


def _contact_times(row: tuple[Any, ...]) -> tuple[str, str] | None:
    started, answered = row[8], row[9]
    if not answered:
        return None
    # Times of the same length without fractions compare as text, in the same order.
    if len(started) == len(answered) == 20:
        early = answered < started
    else:
        early = parse_time(answered) < parse_time(started)  # type: ignore[operator]
    if early:
        return "answered_at", _("answered before it started (%(answered)s < %(started)s).") % {
            "answered": answered,
            "started": started,
        }
    return None


CONTACTS = Format(
    "contacts.csv",
    (
        required_id("contact_id"),
        optional_id("ticket_id"),
        required_id("customer_id"),
        Column("channel", choice(Channel.values, gettext_lazy("channel")), required=True),
        required_id("reason"),
        optional_id("agent_id"),
        optional_id("team"),
        Column("direction", choice(Direction.values, gettext_lazy("direction")), required=True),
        time_column("started_at", required=True),
        time_column("answered_at"),
        time_column("ended_at"),
        Column("handle_seconds", number(), sql_type="integer", kind="int", duration=True),
    ),
    check_row=_contact_times,
    # As _contact_times: times without fractions compare as text (in bytes), three times faster.
    check_row_sql=(
        "CASE WHEN length(s.answered_at) = 20 AND length(s.started_at) = 20"
        ' THEN s.answered_at < s.started_at COLLATE "C"'
        " ELSE s.answered_at::timestamptz < s.started_at::timestamptz END"
    ),
)
