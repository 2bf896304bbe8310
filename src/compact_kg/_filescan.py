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
    if not os.path.isdir(data_dir):  # noqa: PTH112 - no pathlib: the child starts faster
        return found
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
            for name in names:
                try:
                    info = stat(name, dir_fd=fd)
                except OSError:  # a dangling link: listed, and fails to load as on the plain path
                    found.append((f"{folder}/{name}", -2, -2))
                    continue
                found.append((f"{folder}/{name}", info.st_size, info.st_mtime_ns))
        finally:
            os.close(fd)
    return found


def digest(listing: Listing) -> bytes:
    """A digest of a listing: equal digests, equal listings (paths, sizes, mtimes, order).

    Not of its marshalled form, whose bytes depend on how objects are shared in memory.
    """
    out = hashlib.blake2b(digest_size=16)
    out.update(len(listing).to_bytes(8, "little"))
    out.update("\0".join([path for path, _size, _mtime in listing])
               .encode("utf-8", "surrogateescape"))
    out.update(array("q", [n for _path, size, mtime in listing for n in (size, mtime)])
               .tobytes())
    return out.digest()


if __name__ == "__main__":
    sys.stdout.buffer.write(digest(scan(sys.argv[1])))
