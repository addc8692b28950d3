"""Reading by blocks gives the rows, line numbers and errors that reading line by line gives."""

import csv
import io

import pytest
from django.utils import translation

from tickets.importing.blocks import Block, BlockReader
from tickets.importing.csv_rows import RowError, RowReader
from tickets.importing.formats import CONTACTS, TICKETS
from tickets.models import Channel, Direction

HEADER = "ticket_id,customer_id,reason,priority,created_at,solved_at"
PLAIN = "t{n},c{n},billing,normal,2024-03-0{d}T09:30:00Z,"

# Every kind of line a block cannot take, among plain ones: quoted fields, a quoted line break,
# a blank line, bad values, a short row, non-ASCII text, and a last line without its end.
MIXED = [
    HEADER,
    *(PLAIN.format(n=n, d=1 + n % 9) for n in range(1, 30)),
    '"t30","c,30",billing,high,2024-03-02T10:00:00Z,',
    't31,c31,"two\nlines",normal,2024-03-02T10:00:00Z,2024-03-03T10:00:00Z',
    *(PLAIN.format(n=n, d=1 + n % 9) for n in range(32, 50)),
    "",
    "t50,c50,billing,normal,2024-02-30T09:30:00Z,",
    *(PLAIN.format(n=n, d=1 + n % 9) for n in range(51, 70)),
    "t70,c70,billing,whenever,2024-03-01T09:30:00Z,",
    "t71,c71,billing",
    "t72,clément,facturation,low,2024-03-01T09:30:00Z,",
    *(PLAIN.format(n=n, d=1 + n % 9) for n in range(73, 90)),
]


def read_by_lines(path, fmt):
    errors: list[RowError] = []
    with translation.override("en"):
        rows = [(r.line, r.values) for r in RowReader(path, fmt, errors.append)]
    return rows, [(e.line, e.field, e.message) for e in errors]


def read_by_blocks(path, fmt, size):
    """Rows as COPY would store them: a block's lines numbered from its first."""
    errors: list[RowError] = []
    rows, blocks = [], 0
    reader = BlockReader(path, fmt, errors.append)
    reader.SIZE = size
    with translation.override("en"):
        for part in reader:
            if isinstance(part, Block):
                blocks += 1
                text = io.StringIO(part.data.decode(), newline="")
                for offset, fields in enumerate(csv.reader(text)):
                    rows.append((part.line + offset, tuple(f or None for f in fields)))
            else:
                rows.append((part.line, part.values))
    return rows, [(e.line, e.field, e.message) for e in errors], blocks


@pytest.mark.parametrize("size", [1, 100, 700, 1 << 20])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_blocks_give_the_rows_and_errors_of_line_by_line_reading(tmp_path, size, newline):
    path = tmp_path / "tickets.csv"
    path.write_bytes(newline.join(MIXED).encode())

    rows, errors, blocks = read_by_blocks(path, TICKETS, size)

    assert (rows, errors) == read_by_lines(path, TICKETS)
    assert len(rows) == len(MIXED) - 1 - 1 - 3  # the header, a blank line, 3 bad rows
    assert [line for line, *_ in errors] == [53, 73, 74]
    assert blocks >= 1


def test_a_plain_file_comes_in_blocks_only_and_its_bom_is_dropped(tmp_path):
    path = tmp_path / "tickets.csv"
    lines = [HEADER, *(PLAIN.format(n=n, d=1 + n % 9) for n in range(1000))]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")

    parts = list(BlockReader(path, TICKETS, pytest.fail))

    assert all(isinstance(p, Block) for p in parts)
    assert parts[0].line == 2 and parts[0].data.startswith(b"t0,c0,")
    assert b"".join(p.data for p in parts) == "\n".join(lines[1:]).encode() + b"\n"


def test_plain_contacts_of_every_channel_and_direction_come_in_blocks(tmp_path):
    path = tmp_path / "contacts.csv"
    lines = [",".join(CONTACTS.names)] + [
        f"k{n},{'t1' if n % 2 else ''},c1,{channel},billing,,,{direction},"
        f"2024-03-01T10:00:00Z,{'2024-03-01T10:00:05.5Z' if n % 3 else ''},,{n}"
        for n, (channel, direction) in enumerate(
            (c, d) for c in Channel.values for d in Direction.values
        )
    ]
    path.write_text("\n".join(lines) + "\n")

    [part] = list(BlockReader(path, CONTACTS, pytest.fail))

    assert isinstance(part, Block) and part.data.count(b"\n") == len(lines) - 1


def test_columns_in_another_order_are_read_line_by_line(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        "customer_id,ticket_id,reason,priority,created_at,solved_at\n"
        "c1,t1,billing,normal,2024-03-01T09:30:00Z,\n"
    )

    [row] = list(BlockReader(path, TICKETS, pytest.fail))

    assert (row.line, row.values[:2]) == (2, ("t1", "c1"))


def test_bytes_that_are_not_utf8_stop_the_reading_at_their_line(tmp_path):
    path = tmp_path / "tickets.csv"
    lines = [HEADER.encode(), b"t1,c1,billing,normal,2024-03-01T09:30:00Z,"]
    lines += [b"t2,c\xe9,billing,normal,2024-03-01T09:30:00Z,", lines[1]]
    path.write_bytes(b"\n".join(lines) + b"\n")

    with pytest.raises(RowError) as caught, translation.override("en"):
        list(BlockReader(path, TICKETS, pytest.fail))

    assert caught.value.line == 3 and "not UTF-8 text" in caught.value.message


def test_rows_checked_across_fields_keep_their_check_for_the_import(tmp_path):
    """A block skips contacts' answered-before-started check: the import runs it by SQL."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        ",".join(CONTACTS.names) + "\n"
        "k1,,c1,phone,billing,,,inbound,2024-03-01T10:00:00Z,2024-03-01T09:00:00Z,,\n"
    )

    [part] = list(BlockReader(path, CONTACTS, pytest.fail))

    assert isinstance(part, Block) and CONTACTS.check_row_sql
