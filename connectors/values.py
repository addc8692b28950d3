"""Reading helpdesks' values: times in the many shapes they send, ids, nested fields."""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
# A JavaScript Date as text: "Fri Jul 23 2021 23:32:48 GMT+0530 (India Standard Time)".
_JS_DATE = re.compile(
    r"^\w{3} (\w{3}) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-])(\d{2})(\d{2})"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def parse_time(value: Any) -> datetime | None:
    """An aware UTC time from ISO 8601 (zone required), Unix seconds or milliseconds, or a
    JavaScript date string; None for an empty value. Raises ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        seconds = float(value)
        if seconds > 100_000_000_000:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    js = _JS_DATE.match(value)
    if js:
        month, day, year, hh, mm, ss, sign, oh, om = js.groups()
        offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        local = datetime(
            int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone(offset),
        )  # fmt: skip
        return local.astimezone(UTC)
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("ticket.requester.email", "answers.0.rating"), or None."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif (
            isinstance(data, list)
            and part.lstrip("-").isdigit()
            and -len(data) <= int(part) < len(data)
        ):
            data = data[int(part)]
        else:
            return None
    return data


def text_id(value: Any) -> str:
    """An id as text: 5158 and "5158" are the same id; None and "" are no id."""
    if type(value) is str:  # most ids: no conversion to look for
        return value.strip()
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()


def earliest(times: Iterable[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def listed(value: Any) -> list[Any]:
    """A list as helpdesks send one: a JSON list, or text separated by commas (placeholders)."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return []
