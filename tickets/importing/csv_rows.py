"""Reading history CSV files row by row, checking every field, with errors a person can act on.

The format (tests/reference/SOURCE.md): UTF-8, a header line, RFC 4180 quoting, an empty field
means "no value", times in ISO 8601 UTC with a `Z`. Rows are read one at a time so memory does
not grow with the file; each checked row keeps the line it starts on, for error messages.

A checked row is a tuple of the file's columns in the format's order: the text as read (None when
empty), validated but not converted, so that PostgreSQL's COPY parses it once. `typed()` converts
one for the other databases.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .. import bounds

MAX_ID = 64
MAX_INT = 2**31 - 1
# A field that needs no quoting: the fast path's text fields.
_UNQUOTED = '[^,"\r\n\x00]'
_ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")


class RowError(Exception):
    """A row that cannot be imported, named by file, line and field."""

    def __init__(self, file: str, line: int, field: str, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.file, self.line, self.field, self.message, self.raw = file, line, field, message, raw

    def __str__(self) -> str:
        if self.field:
            return _("%(file)s, line %(line)s, field “%(field)s”: %(message)s") % vars(self)
        return _("%(file)s, line %(line)s: %(message)s") % vars(self)


class FieldError(ValueError):
    """A value that does not fit its column; the reader adds file, line and field."""


# --- Field checks: each takes the non-empty text and returns it, or raises FieldError. ----------


def text(max_length: int = MAX_ID) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > max_length:
            raise FieldError(
                _("“%(value)s…” is longer than %(max)s characters.")
                % {"value": value[:20], "max": max_length}
            )
        return free_text(value)

    check.pattern = f"{_UNQUOTED}{{1,{max_length}}}"  # type: ignore[attr-defined]
    return check


def free_text(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise FieldError(_("contains a NUL character."))
    return value


free_text.pattern = _UNQUOTED + "+"  # type: ignore[attr-defined]


def choice(values: list[str], what: str) -> Callable[[str], str]:
    allowed = frozenset(values)
    listed = ", ".join(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise FieldError(
                _("“%(value)s” is not a known %(what)s; expected one of: %(listed)s.")
                % {"value": value, "what": what, "listed": listed}
            )
        return value

    check.pattern = "|".join(re.escape(v) for v in values)  # type: ignore[attr-defined]
    return check


def utc_time(value: str) -> str:
    if _ISO_UTC.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise FieldError(
        _("“%(value)s” is not a date and time in ISO 8601 UTC, such as 2024-03-01T09:30:00Z.")
        % {"value": value}
    )


# Every valid day but 29 February, which is left to the full check (it knows leap years).
# Years from 1000: year 0 is no date at all, and earlier ones are far out of bounds anyway.
utc_time.pattern = (  # type: ignore[attr-defined]
    r"[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z"
)


def whole_number(low: int = 0, high: int = MAX_INT) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.isascii() and value.isdigit() and low <= int(value) <= high:
            return value
        raise FieldError(
            _("“%(value)s” is not a whole number from %(low)s to %(high)s.")
            % {"value": value, "low": low, "high": high}
        )

    if high <= 9:
        check.pattern = f"[{low}-{high}]"  # type: ignore[attr-defined]
    elif (low, high) == (0, 10):
        check.pattern = "10|[0-9]"  # type: ignore[attr-defined]
    elif low == 0 and high >= 999_999_999:
        check.pattern = r"[0-9]{1,9}"  # type: ignore[attr-defined]
    return check


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Limits:
    """The history's bounds (tickets.bounds) in the form a file's text is compared with.

    Times of this format sort as text in time order, but for a fraction, which sorts before its
    whole second ('.' < 'Z'). So `earliest` is rounded up to a whole second and `latest` down,
    with a fraction of zeros: every time out of bounds compares out of them, and of the times in
    bounds only those of the two edge seconds do, which the exact check then lets through. Handle
    times of `digits` digits or more are checked exactly too.
    """

    now: datetime
    earliest: str
    latest: str
    digits: int

    @classmethod
    def taken_now(cls) -> "Limits":
        now = datetime.now(UTC)
        earliest, latest = bounds.time_window(now)
        if earliest.microsecond:
            earliest = earliest.replace(microsecond=0) + timedelta(seconds=1)
        return cls(
            now=now,
            earliest=_iso(earliest) + "Z",
            latest=_iso(latest.replace(microsecond=0)) + ".000000Z",
            digits=len(str(bounds.longest_handle())),
        )

    def params(self) -> dict[str, Any]:
        """For `Format.suspects_sql`."""
        return {"earliest": self.earliest, "latest": self.latest, "digits": self.digits}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


# --- Formats ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    check: Callable[[str], str]
    required: bool = False
    # The PostgreSQL type the staging table gives it (COPY parses it once, in C).
    sql_type: str = "text"
    # Python type for the other databases: "time" or "int"; text otherwise.
    kind: str = "text"
    # A handle time, bounded by tickets.bounds (times are, all of them).
    duration: bool = False


def required_id(name: str) -> Column:
    return Column(name, text(), required=True)


def optional_id(name: str) -> Column:
    return Column(name, text())


def time_column(name: str, *, required: bool = False) -> Column:
    return Column(name, utc_time, required, sql_type="timestamptz", kind="time")


@dataclass(frozen=True)
class Format:
    """One CSV file of a history directory."""

    file: str
    columns: tuple[Column, ...]
    # Checks across fields: (row) -> (field, message) for the first problem, or None.
    check_row: Callable[[tuple[Any, ...]], tuple[str, str] | None] | None = None
    # A PostgreSQL condition on a staged row (alias `s`, text columns) that holds for every row
    # `check_row` refuses, and for few others: the import runs `check_row` on those rows only,
    # after COPY took the file's plain lines by whole blocks, unchecked across fields.
    check_row_sql: str = ""
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(c.name for c in self.columns))

    @cached_property
    def times(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.columns) if c.kind == "time")

    @cached_property
    def durations(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.columns) if c.duration)

    def problem(self, row: tuple[Any, ...], limits: Limits) -> tuple[str, str] | None:
        """(field, message) for the first value of a checked row out of the history's bounds,
        else for the first problem across fields; None when there is none."""
        for i in self.times:
            value = row[i]
            if value and (value < limits.earliest or value > limits.latest):
                message = bounds.time_problem(datetime.fromisoformat(value), limits.now)
                if message:
                    return self.names[i], message
        for i in self.durations:
            value = row[i]
            if value and len(value) >= limits.digits:
                message = bounds.duration_problem(int(value))
                if message:
                    return self.names[i], message
        return self.check_row(row) if self.check_row is not None else None

    @cached_property
    def suspects_sql(self) -> str:
        """A PostgreSQL condition on a staged row (alias `s`, text columns, parameters from
        `Limits.params`) that holds for every row `problem` refuses, and for few others."""
        conditions = [
            f's.{self.names[i]} < %(earliest)s COLLATE "C"'
            f' OR s.{self.names[i]} > %(latest)s COLLATE "C"'
            for i in self.times
        ]
        conditions += [f"length(s.{self.names[i]}) >= %(digits)s" for i in self.durations]
        if self.check_row_sql:
            conditions.append(self.check_row_sql)
        return " OR ".join(f"({c})" for c in conditions) or "false"

    def _fields_pattern(self, group: str) -> str | None:
        """The columns' patterns joined by commas, each in a `group` ("(" captures, "(?:" does
        not), optional unless required; None when a column has no pattern."""
        parts = []
        for column in self.columns:
            pattern = getattr(column.check, "pattern", None)
            if pattern is None:
                return None
            parts.append(f"{group}{pattern})" + ("" if column.required else "?"))
        return ",".join(parts)

    @cached_property
    def fast_match(self) -> Callable[[str], re.Match[str] | None] | None:
        """Matches a whole line of plain, valid fields (no quotes), one group per column (None
        when empty); None when a column has no such pattern. Other lines take the full check."""
        fields = self._fields_pattern("(")
        return None if fields is None else re.compile(fields + r"(?:\r\n|\n|\r)?").fullmatch

    @cached_property
    def block_line(self) -> bytes | None:
        """A regular expression (bytes) for one plain line whose fields are all valid, without
        its line end; None when a column has no pattern, or when `check_row` has no SQL form."""
        if self.check_row is not None and not self.check_row_sql:
            return None
        fields = self._fields_pattern("(?:")
        return None if fields is None else fields.encode()

    def index(self, name: str) -> int:
        return self.names.index(name)

    def checked(self, fields: list[str], line: int) -> "Row":
        """Text fields in the columns' order, checked as a file's line; raises RowError."""
        checks = [(c.name, c.check, c.required) for c in self.columns]
        order = list(range(len(fields)))
        values = _check(fields, order, checks, self.file, line)
        across = self.problem(values, Limits.taken_now())
        if across:
            raise RowError(self.file, line, *across)
        return Row(line, values)

    def typed(self, row: tuple[str | None, ...]) -> tuple[Any, ...]:
        """A checked row with times and numbers converted, for the ORM path."""
        return tuple(
            (parse_time(v) if c.kind == "time" else int(v) if c.kind == "int" and v else v)
            for c, v in zip(self.columns, row, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: tuple[str | None, ...]
    # The line as read, without its end, when it needs no quoting (PostgreSQL copies it as is).
    text: str | None = None


def raw_text(fields: list[str]) -> str:
    """A row as CSV text, for the rejected rows report."""

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


class RowReader:
    """Iterates over the checked rows of one file; bad rows go to `on_error`.

    `on_error(error)` either raises (stop the import) or returns (skip the row). `progress(n)` is
    called with the number of characters read now and then.
    """

    def __init__(
        self,
        path: Path,
        fmt: Format,
        on_error: Callable[[RowError], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.path, self.fmt, self.on_error, self.progress = path, fmt, on_error, progress
        self.rejected = 0
        self.number = 0  # physical lines read: a quoted field may hold line breaks

    def __iter__(self) -> Iterator[Row]:
        with self.path.open(newline="", encoding="utf-8-sig") as f:
            lines = _Counting(f, self.progress)
            try:
                with self.stops_on_unreadable():
                    reader = csv.reader(lines, strict=True)
                    header = next(reader, None)
                    if header is None:
                        return
                    self.number = reader.line_num
                    self.start(header)  # raises: a wrong header is never skipped
                    yield from self.rows(lines, lines)
            finally:
                lines.flush()

    @contextmanager
    def stops_on_unreadable(self) -> Iterator[None]:
        """A file that is not text, or not CSV, cannot be skipped row by row: always stop."""
        name = self.fmt.file
        try:
            yield
        except UnicodeDecodeError as exc:
            line = self.number + 1
            raise RowError(name, line, "", _("not UTF-8 text (%s).") % exc.reason) from None
        except csv.Error as exc:
            raise RowError(name, self.number, "", _("not valid CSV (%s).") % exc) from None

    def start(self, header: list[str]) -> None:
        """Take the header line: the columns' order, and whether lines can take the fast path."""
        self.order = self._order(header)
        self.width = len(header)
        self.in_order = self.order == list(range(len(self.order))) and self.width == len(self.order)

    def rows(self, lines: Iterator[str], more: Iterator[str]) -> Iterator[Row]:
        """The checked rows starting on `lines`; a record going on past them (a quoted field
        holding line breaks) takes its further lines from `more`."""
        name = self.fmt.file
        width, order = self.width, self.order
        checks = [(c.name, c.check, c.required) for c in self.fmt.columns]
        limits = Limits.taken_now()
        problem = self.fmt.problem
        fast = self.fmt.fast_match if self.in_order else None
        for text in lines:
            self.number += 1
            line = self.number
            # Most lines are plain: one regular expression checks every field.
            if fast is not None and (match := fast(text)) is not None:
                values = match.groups()
                if problem(values, limits) is None:
                    yield Row(line, values, text.rstrip("\r\n"))
                    continue
            reader = csv.reader(chain([text], more), strict=True)
            fields = next(reader, [])
            self.number += reader.line_num - 1
            if not fields:  # a blank line
                continue
            try:
                if len(fields) != width:
                    raise RowError(
                        name, line, "",
                        _("%(found)s fields where the header has %(expected)s.")
                        % {"found": len(fields), "expected": width},
                    )  # fmt: skip
                values = _check(fields, order, checks, name, line)
                across = problem(values, limits)
                if across:
                    raise RowError(name, line, *across)
            except RowError as error:
                error.raw = raw_text(fields)
                self.rejected += 1
                self.on_error(error)
                continue
            yield Row(line, values)

    def _order(self, header: list[str]) -> list[int]:
        header = [h.strip() for h in header]
        missing = [n for n in self.fmt.names if n not in header]
        unknown = [h for h in header if h not in self.fmt.names]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(_("missing columns: %s") % ", ".join(missing))
            if unknown:
                problems.append(_("unknown columns: %s") % ", ".join(unknown))
            raise RowError(
                self.fmt.file,
                1,
                "",
                _("the header line does not match the format (%(problems)s); expected: %(cols)s.")
                % {"problems": "; ".join(problems), "cols": ",".join(self.fmt.names)},
            )
        return [header.index(n) for n in self.fmt.names]


def _check(fields, order, checks, name, line) -> tuple[str | None, ...]:
    values: list[str | None] = []
    for i, (column, check, required) in zip(order, checks, strict=True):
        value = fields[i]
        if not value:
            if required:
                raise RowError(name, line, column, _("empty, but a value is required."))
            values.append(None)
            continue
        try:
            values.append(check(value))
        except FieldError as exc:
            raise RowError(name, line, column, str(exc)) from None
    return tuple(values)


class _Counting:
    """Line iterator that reports progress every few thousand lines."""

    EVERY = 4096

    def __init__(self, f, progress: Callable[[int], None] | None) -> None:
        self.f, self.progress, self.pending, self.count = f, progress, 0, 0

    def __iter__(self) -> "_Counting":
        return self

    def __next__(self) -> str:
        line = next(self.f)
        if self.progress is not None:
            self.pending += len(line)
            self.count += 1
            if self.count % self.EVERY == 0:
                self.flush()
        return line

    def flush(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
            self.pending = 0
