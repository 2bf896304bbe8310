"""Ways to keep compact-kg fast on large datasets (10^4 to 10^5 case studies).

Each function here is an alternative path to a plain one elsewhere in the library, with the
same results, measured in ``docs/benchmarks.md``:

``cached_store(files, cache_dir)``
    :func:`compact_kg.store.load_store` parses every Turtle file on every call. This keeps an
    on-disk (RocksDB) pyoxigraph store per distinct set of input files, keyed by a hash of their
    names and contents, so a repeated command opens it in a fraction of a second instead of
    reparsing millions of triples. The store is opened read-only. It must not be shared with a
    forked child (see :mod:`compact_kg._deadline`): query it in-process (``timeout=None``) or
    from a worker process that opens it itself.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph

from compact_kg.errors import InputError
from compact_kg.store import load_store

__all__ = ["cached_store", "files_fingerprint"]

_CHUNK = 1 << 20
_COMPLETE = "complete"
_FILES_PER_BATCH = 1000


def files_fingerprint(files: Iterable[Path]) -> str:
    """A hash of the files' paths (as given, in order) and their contents."""
    digest = hashlib.blake2b(digest_size=16)
    for path in files:
        name = str(path).encode("utf-8")
        digest.update(len(name).to_bytes(4, "big") + name)
        try:
            with Path(path).open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except OSError as error:
            raise InputError(f"cannot read the file ({error.strerror or error})", path=path,
                             hint="Check that it exists and is readable") from None
        digest.update(b"\0")
    return digest.hexdigest()


def cached_store(
    files: Sequence[Path],
    cache_dir: str | Path,
    *,
    keep: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> pyoxigraph.Store:
    """A read-only on-disk store holding ``files``, built once per distinct set of files.

    The store for the files' fingerprint is looked up under ``cache_dir``; when missing it is
    built (the files are first checked by :func:`~compact_kg.store.load_store`'s parser, so a
    syntax error raises the same :class:`InputError`) and the oldest stores beyond ``keep``
    are deleted. ``progress(done, total)`` reports files loaded while building.
    """
    files = [Path(f) for f in files]
    root = Path(cache_dir)
    key = files_fingerprint(files)
    location = root / key
    if not (location / _COMPLETE).is_file():
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            _build(files, building, progress)
            (building / _COMPLETE).write_text("\n".join(map(str, files)), encoding="utf-8")
            if location.exists():  # a concurrent build finished first
                shutil.rmtree(building)
            else:
                building.replace(location)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        _prune(root, keep, location)
    return pyoxigraph.Store.read_only(str(location))


def _build(files: list[Path], location: Path,
           progress: Callable[[int, int], None] | None) -> None:
    store = pyoxigraph.Store(str(location))
    total = len(files)
    for start in range(0, total, _FILES_PER_BATCH):
        # Parse with load_store, so that errors read exactly as on the plain path, a batch
        # at a time into memory; then copy the triples to disk.
        memory = load_store(files[start:start + _FILES_PER_BATCH])
        store.bulk_extend(memory.quads_for_pattern(None, None, None, None))
        if progress is not None:
            progress(min(start + _FILES_PER_BATCH, total), total)
    store.flush()
    store.optimize()
    del store


def _prune(root: Path, keep: int, current: Path) -> None:
    stores = sorted((p for p in root.iterdir() if p.is_dir() and (p / _COMPLETE).is_file()
                     and p != current), key=lambda p: (p / _COMPLETE).stat().st_mtime,
                    reverse=True)
    for old in stores[max(0, keep - 1):]:
        shutil.rmtree(old, ignore_errors=True)
