"""Listing and stat'ing the data files, for :mod:`compact_kg.index`.

Standard library only, so that it also runs as a script in a child interpreter
(``python -I -S _filescan.py FOLDER`` writes the digest of the folder's listing to stdout):
a command starts it first thing and does its fixed work (imports, the ontology, the shapes)
meanwhile, so that the scan of 10^5 files runs on the other core instead of adding to the
command's time.
"""

from __future__ import annotations

import hashlib
import os
import sys
from array import array
from collections.abc import Iterator
from typing import Any

#: ``[(path, size, mtime_ns)]``; size and mtime are -2 for a file that cannot be stat'ed.
Listing = list[tuple[str, int, int]]


def scan(data_dir: str) -> Listing:
    """``[(path, size, mtime_ns)]`` of the files ``sorted(Path(data_dir).rglob("*.ttl"))``
    lists, in the order the folders list them (stable while nothing changes).

    The same walk as pathlib's (into real folders, not symlinked ones; unreadable folders
    skipped), without making a Path per file; each file is stat'ed relative to its open
    folder, so the kernel does not walk the whole path again for each of them.
    """
    found: Listing = []
    for folder, names, stats in _walk(data_dir):
        found += [(f"{folder}/{name}", *stat) for name, stat in zip(names, stats, strict=True)]
    return found


def scan_digest(data_dir: str) -> bytes:
    """``digest(scan(data_dir))``, without making the listing (a third less time)."""
    paths = hashlib.blake2b(digest_size=16)
    numbers = array("q")
    count = 0
    for folder, names, stats in _walk(data_dir):
        prefix = folder + "/"
        text = prefix + ("\0" + prefix).join(names)
        paths.update(("\0" + text if count else text).encode("utf-8", "surrogateescape"))
        for size, mtime in stats:
            numbers.append(size)
            numbers.append(mtime)
        count += len(names)
    return _combine(paths, numbers, count)


def digest(listing: Listing) -> bytes:
    """A digest of a listing: equal digests, equal listings (paths, sizes, mtimes, order).

    Not of its marshalled form, whose bytes depend on how objects are shared in memory.
    """
    paths = hashlib.blake2b(digest_size=16)
    paths.update("\0".join([path for path, _size, _mtime in listing])
                 .encode("utf-8", "surrogateescape"))
    numbers = array("q", [n for _path, size, mtime in listing for n in (size, mtime)])
    return _combine(paths, numbers, len(listing))


def _combine(paths: Any, numbers: array, count: int) -> bytes:
    out = hashlib.blake2b(digest_size=16)
    out.update(paths.digest())
    out.update(numbers.tobytes())
    out.update(count.to_bytes(8, "little"))
    return out.digest()


def _walk(data_dir: str) -> Iterator[tuple[str, list[str], list[tuple[int, int]]]]:
    """``(folder, names, [(size, mtime_ns)])`` of each folder with ``*.ttl`` files; size and
    mtime -2 for a file that cannot be stat'ed (a dangling link: it fails to load as on the
    plain path)."""
    if not os.path.isdir(data_dir):  # noqa: PTH112 - no pathlib: the child starts faster
        return
    stat = os.stat
    stack = [data_dir]
    while stack:
        folder = stack.pop()
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            names = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    name = entry.name
                    if name.endswith(".ttl"):
                        names.append(name)
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(f"{folder}/{name}")
                    except OSError:
                        continue
            stats = []
            for name in names:
                try:
                    info = stat(name, dir_fd=fd)
                except OSError:
                    stats.append((-2, -2))
                    continue
                stats.append((info.st_size, info.st_mtime_ns))
        finally:
            os.close(fd)
        if names:
            yield folder, names, stats


if __name__ == "__main__":
    sys.stdout.buffer.write(scan_digest(sys.argv[1]))
