"""A persistent index of the data files, so that checking one submission does not read them all.

:func:`compact_kg.context.DatasetContext.load` parses every file of ``data/`` into an
in-memory store on each command: 0.3 s at 10^3 case studies, 3 s at 10^4, half a minute at
10^5. :func:`dataset_context` keeps the same store (one named graph per data file, named by
the file's ``file:`` URI) on disk instead, and brings it up to date the way git brings its
index up to date:

- a manifest lists ``(path, size, mtime_ns, content hash, graph)`` for every data file;
- each command lists ``data/**/*.ttl`` and stats the files;
  only files whose size or mtime changed are hashed, and only files whose content changed are
  loaded again (their named graph dropped, the file reloaded); added files are loaded, the
  graphs of deleted files dropped;
- a file modified within :data:`RACY_NS` of the last scan is hashed every time (git's "racily
  clean" rule), so an edit that keeps size and mtime is not missed.

The warm path costs the same at 10^3 and 10^5 case studies. The manifest starts with a small
header, checksummed on its own, that holds a digest of the last scan's listing (paths, sizes,
mtimes, in folder order): when the digest of the listing now is the same, nothing changed and
the entries (30 MB at 10^5) are not read at all. The listing itself (10^5 stats, 0.2-0.3 s of
CPU) is made by a child interpreter running :mod:`compact_kg._filescan` when the folder had
:data:`_CHILD_FILES` files or more: the CLI starts it (:func:`prescanning`) before its imports,
so it runs on the other core while the command imports pySHACL and parses the ontology.

The store also holds a subject index (see :func:`compact_kg.context.subject_index_quads`): the
"did you mean" of an unknown reference lists the known subjects of its namespace by index
look-ups instead of a scan of every triple (which took minutes at 10^5).

The store holds only the data files: the ontology, vocabularies and shapes are read afresh by
each command (they are small), so editing them needs no rebuild.

Layout, under the cache folder (:func:`default_cache_dir`)::

    index-<hash of the data folder's path>/
        data-dir       the data folder this index is of (used to prune indexes of folders
                       that no longer exist)
        lock           flock: shared while a command reads the store, exclusive while
                       one writes it
        manifest       a header (format, listing digest, racy files) and the entries (the
                       files and their stats), each with its length and its checksum
        store/         the pyoxigraph (RocksDB) store
        build-*/       a first build in progress; renamed to store/ when complete

Safety. Readers hold a shared lock and open the store read-only; a writer holds the
exclusive lock, so a store is never read while written and two commands never write at once.
A first build happens in a temporary folder and the manifest is written last (atomically), so
a build that is killed leaves no manifest and is started again. Before an incremental update
the files about to change are marked dirty in the manifest; a killed update leaves them dirty
and they are reloaded by the next command. A manifest or store that cannot be read is deleted
and rebuilt; when the cache folder cannot be written at all, the plain in-memory path is used.
None of this is ever an error for the user; an unparsable data file is (the same error as
the plain path).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compact_kg._filescan import Listing, scan, scan_digest
from compact_kg._filescan import digest as listing_digest
from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths

if TYPE_CHECKING:
    from compact_kg.context import DatasetContext

__all__ = ["CACHE_ENV", "RACY_NS", "dataset_context", "default_cache_dir", "index_location",
           "prescanning"]

#: The environment variable that moves the cache folder (read by the CLI).
CACHE_ENV = "COMPACT_KG_CACHE"
#: Files modified this close (in ns) before the last scan are hashed on every check.
RACY_NS = 2_000_000_000
#: Bumped when the layout or the manifest changes: older indexes are rebuilt.
_FORMAT = 4
_FILES_PER_BATCH = 500
_CHUNK = 1 << 20
_DIRTY = (-1, -1, b"")
#: From how many data files a command lists them in a child interpreter.
_CHILD_FILES = 4000

Progress = Callable[[int, int], None]


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$COMPACT_KG_CACHE``, else ``$XDG_CACHE_HOME/compact-kg``, else ``~/.cache/compact-kg``."""
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compact-kg"


def index_location(cache_dir: Path, data_dir: Path) -> Path:
    """The folder of the index of ``data_dir`` (resolved) under ``cache_dir``."""
    key = hashlib.blake2b(str(data_dir).encode("utf-8"), digest_size=8).hexdigest()
    return Path(cache_dir) / f"index-{key}"


# ---------------------------------------------------------------------------------------
# Scanning and the manifest
# ---------------------------------------------------------------------------------------


def _scan(data_dir: Path) -> Listing:
    return scan(str(data_dir))


class _Prescan:
    """The digest of a folder's listing, computed meanwhile by a child interpreter (on the
    other core) when the folder had :data:`_CHILD_FILES` files or more at the last scan;
    else (a child costs more than it saves) here, when asked for."""

    def __init__(self, data_dir: Path, root: Path) -> None:
        import subprocess
        import sys

        self._child: Any = None
        if not sys.executable or _last_count(root) < _CHILD_FILES:
            return
        with contextlib.suppress(OSError, ValueError):
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-S", _filescan_script(), str(data_dir)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def result(self, data_dir: Path) -> bytes:
        """The digest, from the child, else from a scan made here."""
        if self._child is not None:
            try:
                out, _err = self._child.communicate()
            except BaseException:
                self.cancel()
                raise
            if self._child.returncode == 0 and len(out) == 16:
                return bytes(out)
        return scan_digest(str(data_dir))

    def cancel(self) -> None:
        if self._child is not None and self._child.returncode is None:
            self._child.kill()
            self._child.wait()
            self._child.stdout.close()


_PRESCANS: dict[str, _Prescan] = {}


def _filescan_script() -> str:
    """The file of :mod:`compact_kg._filescan`, run as a script by the child."""
    return str(Path(__file__).with_name("_filescan.py"))


@contextlib.contextmanager
def prescanning(data_dir: Path, cache_dir: Path) -> Iterator[None]:
    """Start listing ``data_dir`` in the background, for the :func:`dataset_context` of it
    within the block: a command opens this before its imports, which the scan then overlaps.
    A scan not used by the end of the block is dropped (it would be stale)."""
    key = str(Path(data_dir).resolve())
    started = _Prescan(Path(key), index_location(Path(cache_dir), Path(key)))
    _PRESCANS[key] = started
    try:
        yield
    finally:
        started.cancel()
        if _PRESCANS.get(key) is started:
            del _PRESCANS[key]


def _last_count(root: Path) -> int:
    """How many files the last scan found (0 when unknown): a hint only."""
    try:
        with (root / "manifest").open("rb") as handle:
            header = _read_part(handle)
        count = marshal.loads(header).get("count", 0) if header else 0  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        return 0
    return count if isinstance(count, int) else 0


def _digest(path: str) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    try:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return b""
    return digest.digest()


def _pyoxigraph_version() -> str:
    import pyoxigraph

    return str(getattr(pyoxigraph, "__version__", "?"))


def _read_manifest(root: Path, data_dir: Path, *, full: bool = True) -> dict[str, Any] | None:
    """The manifest, or None when missing, damaged or of another format or folder.

    It is two marshalled objects, each with its own length before it and its checksum after
    it: a small header (with the digest of the listing of the last scan, which a command
    compares with the digest of its own scan) and, read only when ``full``, the entries
    ``{path: (size, mtime_ns, digest, graph)}``. A command that finds nothing changed reads
    the header only, however many files there are.
    """
    try:
        with (root / "manifest").open("rb") as handle:
            header = _read_part(handle)
            if header is None:
                return None
            manifest = marshal.loads(header)  # noqa: S302 - our own file, checksummed
            if not isinstance(manifest, dict):
                return None
            if full:
                entries = _read_part(handle)
                if entries is None:
                    return None
                manifest["files"] = marshal.loads(entries)  # noqa: S302 - ours, checksummed
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (manifest.get("format") != _FORMAT
            or manifest.get("oxigraph") != _pyoxigraph_version()
            or manifest.get("data_dir") != str(data_dir)
            or not isinstance(manifest.get("racy"), dict)
            or (full and not isinstance(manifest.get("files"), dict))):
        return None
    return manifest


def _read_part(handle: Any) -> bytes | None:
    """One part of the manifest: its bytes, or None when cut short or damaged."""
    size = int.from_bytes(handle.read(8), "little")
    if size > os.fstat(handle.fileno()).st_size:
        return None
    body = handle.read(size)
    check = handle.read(16)
    if len(body) != size or hashlib.blake2b(body, digest_size=16).digest() != check:
        return None
    return body


def _part(body: bytes) -> bytes:
    return len(body).to_bytes(8, "little") + body + hashlib.blake2b(body, digest_size=16).digest()


def _write_manifest(root: Path, data_dir: Path, files: dict[str, tuple], scanned_ns: int,
                    listing: Listing | None = None) -> None:
    """``listing``: the scan the entries match, or None when some are dirty."""
    racy_after = scanned_ns - RACY_NS
    racy = {path: entry[2] for path, entry in files.items() if entry[1] >= racy_after}
    header = {"format": _FORMAT, "oxigraph": _pyoxigraph_version(), "data_dir": str(data_dir),
              "scanned_ns": scanned_ns, "racy": racy, "count": len(files),
              "listing": None if listing is None else listing_digest(listing)}
    fd, name = tempfile.mkstemp(prefix=".manifest-", dir=root)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_part(marshal.dumps(header)))
            handle.write(_part(marshal.dumps(files)))
            handle.flush()
            os.fsync(handle.fileno())
        Path(name).replace(root / "manifest")
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise


def _unchanged(header: dict[str, Any], digest: bytes) -> bool:
    """The quick check: the same files with the same stats (the digest of the listing now is
    the one recorded), and no racy file changed."""
    return (header.get("listing") is not None
            and header["listing"] == digest
            and all(_digest(path) == digest for path, digest in header["racy"].items()))


def _changes(manifest: dict[str, Any], listing: Listing
             ) -> tuple[list[str], list[str], dict[str, tuple]]:
    """What differs between the manifest and the files now: (files to load, in path order;
    files to drop; entries whose stat changed but content did not)."""
    known: dict[str, tuple] = manifest["files"]
    current = {path: (size, mtime) for path, size, mtime in listing}
    racy_after = manifest["scanned_ns"] - RACY_NS
    load: list[str] = []
    touched: dict[str, tuple] = {}
    for path, (size, mtime) in current.items():
        entry = known.get(path)
        if entry is None:
            load.append(path)
            continue
        if entry[0] == size and entry[1] == mtime and mtime < racy_after:
            continue
        digest = _digest(path)
        if digest and digest == entry[2]:
            if (entry[0], entry[1]) != (size, mtime):
                touched[path] = (size, mtime, digest, entry[3])
        else:
            load.append(path)
    dropped = [path for path in known if path not in current]
    return sorted(load, key=Path), dropped, touched


# ---------------------------------------------------------------------------------------
# Building and updating (exclusive lock held)
# ---------------------------------------------------------------------------------------


def _first_error(path: str) -> InputError:
    """The error the plain path gives for ``path``."""
    import pyoxigraph

    from compact_kg.context import load_data_file

    try:
        load_data_file(pyoxigraph.Store(), Path(path))
    except InputError as error:
        return error
    except OSError as error:
        return InputError(f"cannot read the file ({error.strerror or error})", path=path)
    return InputError("the dataset file cannot be parsed", path=path,
                      hint="Fix the dataset first: compact-kg validate")


def _build(root: Path, data_dir: Path, progress: Progress | None) -> list[InputError]:
    """Build the store from scratch in a temporary folder, then move it into place."""
    import pyoxigraph as ox

    from compact_kg.context import data_graph_name

    with contextlib.suppress(FileNotFoundError):
        (root / "manifest").unlink()
    for stale in [root / "store", *root.glob("build-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    scanned_ns = time.time_ns()
    listing = _scan(data_dir)
    current = {path: (size, mtime) for path, size, mtime in listing}
    paths = sorted(current, key=Path)
    building = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    files: dict[str, tuple] = {}
    errors: list[InputError] = []
    store = ox.Store(str(building))
    try:
        for start in range(0, len(paths), _FILES_PER_BATCH):
            batch = ox.Store()
            for path in paths[start:start + _FILES_PER_BATCH]:
                graph = data_graph_name(Path(path))
                try:
                    data = Path(path).read_bytes()
                    batch.load(input=data, format=ox.RdfFormat.TURTLE,
                               to_graph=ox.NamedNode(graph))
                except (SyntaxError, OSError):
                    errors.append(_first_error(path))
                    files[path] = (*_DIRTY, graph)
                    continue
                digest = hashlib.blake2b(data, digest_size=16).digest()
                files[path] = (*current[path], digest, graph)
            batch.extend(_subject_index(batch))
            store.bulk_load(input=batch.dump(format=ox.RdfFormat.N_QUADS),
                            format=ox.RdfFormat.N_QUADS)
            if progress is not None:
                progress(min(start + _FILES_PER_BATCH, len(paths)), len(paths))
        store.flush()
    finally:
        del store
    building.replace(root / "store")
    _write_manifest(root, data_dir, files, scanned_ns, None if errors else listing)
    return errors


def _subject_index(batch: Any) -> list:
    """The subject index (see :func:`compact_kg.context.subject_index_quads`) of the data
    graphs of ``batch``."""
    from compact_kg.context import subject_index_quads

    subjects: dict[str, set[str]] = {}
    for row in batch.query("SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } "
                           "FILTER(isIRI(?s)) }"):
        subjects.setdefault(row["g"].value, set()).add(row["s"].value)
    return [quad for graph, names in subjects.items()
            for quad in subject_index_quads(graph, names)]


def _remove_graph(store: Any, graph: str) -> None:
    """Drop the data graph ``graph`` and its subject index."""
    import pyoxigraph as ox

    from compact_kg.context import subject_index_graph

    for name in (graph, subject_index_graph(graph)):
        if store.contains_named_graph(ox.NamedNode(name)):
            store.remove_graph(ox.NamedNode(name))


def _update(root: Path, data_dir: Path, manifest: dict[str, Any], load: list[str],
            dropped: list[str], touched: dict[str, tuple], listing: Listing,
            scanned_ns: int, progress: Progress | None) -> list[InputError]:
    """Reload the changed files' named graphs, drop the deleted ones', record the stats."""
    import pyoxigraph as ox

    from compact_kg.context import data_graph_name, load_data_file, subject_index_quads

    current = {path: (size, mtime) for path, size, mtime in listing}
    files: dict[str, tuple] = dict(manifest["files"])
    files.update(touched)
    if load or dropped:
        for path in load:  # marked dirty first: a killed update is redone next time
            graph = files[path][3] if path in files else data_graph_name(Path(path))
            files[path] = (*_DIRTY, graph)
        for path in dropped:
            files[path] = (*_DIRTY, files[path][3])
        _write_manifest(root, data_dir, files, manifest["scanned_ns"])
    errors: list[InputError] = []
    if load or dropped:
        store = ox.Store(str(root / "store"))
        try:
            for path in dropped:
                _remove_graph(store, files.pop(path)[3])
            for done, path in enumerate(load, start=1):
                graph = data_graph_name(Path(path))
                for old in {files[path][3], graph}:
                    _remove_graph(store, old)
                data_digest = _digest(path)
                try:
                    load_data_file(store, Path(path), graph)
                except InputError as error:
                    errors.append(error)
                    files[path] = (*_DIRTY, graph)
                    continue
                store.extend(subject_index_quads(graph, {
                    quad.subject.value for quad in store.quads_for_pattern(
                        None, None, None, ox.NamedNode(graph))
                    if isinstance(quad.subject, ox.NamedNode)}))
                files[path] = (*current[path], data_digest, graph)
                if progress is not None:
                    progress(done, len(load))
            store.flush()
        finally:
            del store
    _write_manifest(root, data_dir, files, scanned_ns, None if errors else listing)
    return errors


# ---------------------------------------------------------------------------------------
# Locking and opening
# ---------------------------------------------------------------------------------------


class _Lock:
    """An flock on ``root/lock``: shared for readers, exclusive for writers."""

    def __init__(self, root: Path) -> None:
        import fcntl

        self._fcntl = fcntl
        self._fd = os.open(root / "lock", os.O_RDWR | os.O_CREAT, 0o644)

    def shared(self) -> None:
        self._fcntl.flock(self._fd, self._fcntl.LOCK_SH)

    def exclusive(self) -> None:
        self._fcntl.flock(self._fd, self._fcntl.LOCK_EX)

    def close(self) -> None:
        os.close(self._fd)  # releases the lock


def _prune(cache_dir: Path, keep: Path) -> None:
    """Delete the indexes of data folders that no longer exist (and are not in use)."""
    import fcntl

    for other in cache_dir.glob("index-*"):
        if other == keep or not other.is_dir():
            continue
        try:
            source = Path((other / "data-dir").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if source.is_dir():
            continue
        try:
            fd = os.open(other / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(other, ignore_errors=True)
        except OSError:
            pass  # in use
        finally:
            os.close(fd)


def _fresh_store(root: Path, data_dir: Path, lock: _Lock, progress: Progress | None,
                 pending: _Prescan | None = None) -> tuple[Any, Callable[[], list[str]]]:
    """The up-to-date store, read-only, and a function that lists the data files it holds;
    the shared lock held. ``pending``: a scan already started (used for the first look)."""
    import pyoxigraph as ox

    lock.shared()
    for _attempt in range(3):
        header = _read_manifest(root, data_dir, full=False)
        if header is not None and (root / "store").is_dir():
            digest = (pending.result(data_dir) if pending is not None
                      else scan_digest(str(data_dir)))
            if _unchanged(header, digest):
                return ox.Store.read_only(str(root / "store")), lambda: _listed(root, data_dir)
        pending = None
        lock.exclusive()  # not atomic: look again once it is held
        manifest = _read_manifest(root, data_dir)
        scanned_ns = time.time_ns()
        if manifest is None or not (root / "store").is_dir():
            errors = _build(root, data_dir, progress)
            _prune(root.parent, root)
        else:
            listing = _scan(data_dir)
            load, dropped, touched = _changes(manifest, listing)
            errors = _update(root, data_dir, manifest, load, dropped, touched, listing,
                             scanned_ns, progress)
        lock.shared()
        if errors:
            raise errors[0]
    raise OSError("the dataset index keeps changing while it is read")


def _listed(root: Path, data_dir: Path) -> list[str]:
    """The data files of an up-to-date index (its shared lock held): the manifest's."""
    manifest = _read_manifest(root, data_dir)
    if manifest is None:
        return [path for path, _size, _mtime in _scan(data_dir)]
    return list(manifest["files"])


def _cached_context(paths: ProjectPaths, data_dir: Path, cache_dir: Path,
                    progress: Progress | None) -> tuple[DatasetContext, _Lock]:
    from compact_kg.context import DatasetContext, load_model

    root = index_location(cache_dir, data_dir)
    pending = _PRESCANS.pop(str(data_dir), None) or _Prescan(data_dir, root)
    try:
        model = load_model(paths)  # meanwhile the child lists the data files
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "data-dir").is_file():
            (root / "data-dir").write_text(str(data_dir), encoding="utf-8")
        lock = _Lock(root)
        try:
            store, files = _fresh_store(root, data_dir, lock, progress, pending)
        except BaseException:
            lock.close()
            raise
    finally:
        pending.cancel()
    return DatasetContext(model, _Files(files), data_dir, store=store), lock


def _wipe(root: Path) -> None:
    """Delete a damaged index (under its exclusive lock)."""
    lock = _Lock(root)
    try:
        lock.exclusive()
        for child in root.iterdir():
            if child.name == "lock":
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
    finally:
        lock.close()


#: What a damaged or unwritable cache raises (pyoxigraph: OSError, RuntimeError on corruption).
_CACHE_ERRORS = (OSError, RuntimeError, ValueError, EOFError, KeyError, TypeError, IndexError,
                 ImportError)


@contextlib.contextmanager
def dataset_context(paths: ProjectPaths, data_dir: Path | None = None, *,
                    cache_dir: Path | None = None,
                    progress: Progress | None = None) -> Iterator[DatasetContext]:
    """The dataset as a :class:`~compact_kg.context.DatasetContext`, for the ``with`` block.

    With ``cache_dir``, the data files come from the persistent index under it, built on the
    first use and brought up to date on each (``progress(done, total)`` counts files loaded);
    the store is read-only and locked against writers until the block ends. When the cache
    cannot be used (an unwritable folder, a damaged index that cannot be rebuilt), or with
    ``cache_dir=None``, the files are loaded into memory as :meth:`DatasetContext.load` does.
    The results are the same either way.

    :raises InputError: a data file is not valid Turtle (the message of the plain path).
    """
    from compact_kg.context import DatasetContext

    folder = (data_dir or paths.data_dir).resolve()
    opened: tuple[DatasetContext, _Lock] | None = None
    if cache_dir is not None:
        try:
            opened = _cached_context(paths, folder, Path(cache_dir), progress)
        except InputError:
            raise
        except _CACHE_ERRORS:
            root = index_location(Path(cache_dir), folder)
            try:
                _wipe(root)
                opened = _cached_context(paths, folder, Path(cache_dir), progress)
            except InputError:
                raise
            except _CACHE_ERRORS:
                opened = None
    if opened is None:
        yield DatasetContext.load(paths, data_dir)
        return
    context, lock = opened
    try:
        yield context
    finally:
        context._store = None  # closes the store before the lock is released
        del context
        lock.close()


class _Files(Sequence[Path]):
    """The data files as Paths, listed only when asked for (10^5 Paths cost a tenth of a
    second, and the names are not needed to check a submission)."""

    def __init__(self, names: Callable[[], list[str]]) -> None:
        self._names = names
        self._paths: list[Path] | None = None

    def _all(self) -> list[Path]:
        if self._paths is None:
            self._paths = sorted(map(Path, self._names()))
        return self._paths

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]
