"""Reading a history file for COPY: runs of plain, valid lines, handed over as the bytes they are.

Most lines of an export are plain: no quotes, every field valid. A block of them (about a
megabyte) is checked by one regular expression over the whole block, in C, and goes to
PostgreSQL's COPY as read, with no Python work per line. A block holding any other line (quoted
fields, a bad value, a blank line, bytes that are not UTF-8) is read line by line by RowReader's
checks, exactly as a file read by RowReader.

Two things are left to the caller for blocks: the line numbers (a block's lines are consecutive
from `Block.line`), and the history's bounds and the checks across fields (`Format.problem`,
run on the rows `Format.suspects_sql` points at once the file is staged).
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

from .csv_rows import Row, RowReader

_BOM = b"\xef\xbb\xbf"
_HEADER_MAX = 1 << 16


@dataclass(frozen=True, slots=True)
class Block:
    line: int  # the line number of its first line
    data: bytes  # whole lines, each with its line end, all plain and valid


class BlockReader(RowReader):
    """Iterates over a file as Blocks and, where a block is not all plain, checked Rows.

    Files it cannot take by blocks (columns in another order, a format without block pattern,
    lines ending in a bare carriage return) are read as RowReader reads them.
    """

    SIZE = 1 << 20

    def __iter__(self) -> Iterator[Block | Row]:  # type: ignore[override]
        line_pattern = self.fmt.block_line
        with self.path.open("rb") as f:
            first = f.readline(_HEADER_MAX)
            header = _header(first)
            if line_pattern is None or header is None:
                yield from super().__iter__()
                return
            with self.stops_on_unreadable():
                self.number = 1
                self.start(header)
            if not self.in_order:
                yield from super().__iter__()
                return
            end = b"\r\n" if first.endswith(b"\r\n") else b"\n"
            # Possessive: a block that fails does so at its first bad line, without backtracking.
            # The file's last line may lack its line end.
            whole = re.compile(
                b"(?:" + line_pattern + re.escape(end) + b")*+(?:" + line_pattern + b")?"
            ).fullmatch
            source = _Source(f, len(first), self.progress)
            with self.stops_on_unreadable():
                while data := source.block(self.SIZE):
                    if whole(data) is not None and _utf8(data):
                        yield Block(self.number + 1, data)
                        self.number += data.count(b"\n")
                    else:
                        yield from self._lines(data, source)
                    source.report()

    def _lines(self, data: bytes, source: "_Source") -> Iterator[Row]:
        """A block read line by line; a record running past it reads on from `source`."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.number += data.count(b"\n", 0, exc.start)
            raise
        lines = iter(io.StringIO(text, newline=""))
        yield from self.rows(lines, chain(lines, source.lines()))


def _header(first: bytes) -> list[str] | None:
    """The header's fields; None when the file is empty, not UTF-8, or ends lines in a bare CR
    (RowReader then reads it, and says what is wrong)."""
    first = first.removeprefix(_BOM)
    if not first.endswith(b"\n") or b"\r" in first.removesuffix(b"\n").removesuffix(b"\r"):
        return None
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return next(csv.reader([text], strict=True), None)


def _utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Source:
    """The rest of a file, handed out as blocks of whole lines or as single decoded lines."""

    LINES_READ = 1 << 16

    def __init__(self, f: BinaryIO, read: int, progress: Callable[[int], None] | None) -> None:
        self.f, self.pending, self.progress = f, b"", progress
        self.read, self.reported = read, 0

    def block(self, size: int) -> bytes:
        """About `size` bytes of whole lines: cut after the last line end (more when one line
        is longer; the file's last line even without its end)."""
        data = self.pending + self.f.read(size)
        while True:
            cut = data.rfind(b"\n") + 1
            if cut:
                break
            more = self.f.read(size)
            if not more:
                cut = len(data)  # a last line without line end
                break
            data += more
        data, self.pending = data[:cut], data[cut:]
        self.read += len(data)
        return data

    def lines(self) -> Iterator[str]:
        """The next lines, decoded, for a record that goes on past its block."""
        while True:
            if b"\n" not in self.pending:
                more = self.f.read(self.LINES_READ)
                if more:
                    self.pending += more
                    continue
            if not self.pending:
                return
            cut = self.pending.find(b"\n") + 1 or len(self.pending)
            line, self.pending = self.pending[:cut], self.pending[cut:]
            self.read += len(line)
            yield line.decode("utf-8")

    def report(self) -> None:
        if self.progress is not None and self.read > self.reported:
            self.progress(self.read - self.reported)
            self.reported = self.read
