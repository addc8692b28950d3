"""Recognising an export sent again unchanged, by the digest of each file.

An import records, per file name, the digest of the file it read and how many rows it held.
When every file of a directory has the digest recorded last for its name, nothing in it can be
new: the import stops there, having read each file once (hashing runs at the speed of the disk,
a few times faster than a COPY), and reports every row unchanged.

The record says "the history holds this file's rows as the file has them". Any other write to the
history (the REST API, a connector, the admin, a survey answer stored over an imported one) makes
that untrue, so it forgets every record (`fingerprints_forget`, a DELETE on a table of a few
rows); the next import then reads its rows, and skips those stored unchanged one by one.
"""

import hashlib
from pathlib import Path
from typing import Any

from ..models import ImportedFile
from .registry import FileCounts

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def unchanged_files(digests: dict[str, str]) -> dict[str, FileCounts] | None:
    """Counts (all unchanged) when every file is the one imported last under its name."""
    stored = {f.name: f for f in ImportedFile.objects.filter(name__in=digests)}
    if len(stored) < len(digests) or any(stored[n].digest != d for n, d in digests.items()):
        return None
    return {name: FileCounts(unchanged=stored[name].rows) for name in digests}


def fingerprints_record(digests: dict[str, str], counts: dict[str, FileCounts]) -> None:
    """Record the files of an import that rejected none of their rows."""
    for name, digest in digests.items():
        done = counts.get(name, FileCounts())
        if done.rejected:
            ImportedFile.objects.filter(name=name).delete()
            continue
        ImportedFile.objects.update_or_create(
            name=name,
            defaults={"digest": digest, "rows": done.created + done.updated + done.unchanged},
        )


def fingerprints_forget(*args: Any, **kwargs: Any) -> None:
    """The history was written by something else than an import: forget every file.

    A receiver too (any sender and arguments): connected to the saves of the rows the files
    hold."""
    ImportedFile.objects.all().delete()
