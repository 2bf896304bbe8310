"""Where the project's files live: ontology/, data/ and queries/ of one *home*.

A home is either the package's own copy of the graph (shipped inside the wheel as
``compact_kg/_graph/``, read through :mod:`importlib.resources`) or a working copy: a
folder with ontology/compact.ttl, ontology/shapes.ttl, data/ and queries/, such as a
checkout of the repository or a folder written by ``compact-kg init``.

The library takes a :class:`ProjectPaths` (or a folder) and never reads the environment.
The command line picks the home with :func:`locate_home`, in this order:

1. ``--home DIR``;
2. the ``COMPACT_KG_HOME`` environment variable;
3. the working copy around the current folder (the nearest folder, the current one or one
   above it, holding ontology/compact.ttl and queries/);
4. the source tree of an editable install (``pip install -e .``), the checkout beside src/;
5. the package's own copy.

:func:`default_paths` with no folder gives 4, else 5: what an installed package reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from compact_kg.errors import InputError

__all__ = ["ProjectPaths", "default_paths", "find_working_copy", "locate_home",
           "package_paths"]

#: The checkout beside ``src/`` when the package is run from its source tree.
_CHECKOUT = Path(__file__).resolve().parents[2]

#: Where each kind of home came from, as the command line reports it.
PACKAGE = "package"
_SOURCES = {
    "--home": "from --home",
    "COMPACT_KG_HOME": "from COMPACT_KG_HOME",
    "working copy": "the working copy around the current folder",
    "source tree": "the source tree of this editable install",
}

#: What a home must hold (relative path, is it a folder).
_REQUIRED = (("ontology/compact.ttl", False), ("ontology/shapes.ttl", False),
             ("data/", True), ("queries/", True))

_VERSION_INFO = re.compile(r'owl:versionInfo\s+"([^"\\\n]{1,100})"')


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of one home: a working copy or the package's own copy.

    ``source`` says where the choice of home came from: ``"package"`` for the package's
    copy, ``"--home"``, ``"COMPACT_KG_HOME"``, ``"working copy"`` (found around the
    current folder), ``"source tree"`` (of an editable install), or ``"given"`` (a folder
    passed to the library). It takes no part in comparisons.
    """

    root: Path
    source: str = field(default="given", compare=False)

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def ontology_file(self) -> Path:
        return self.ontology_dir / "compact.ttl"

    @property
    def shapes_file(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    @property
    def vocabulary_files(self) -> list[Path]:
        return sorted((self.ontology_dir / "vocabularies").glob("*.ttl"))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def is_package_copy(self) -> bool:
        """True for the package's own copy (read-only: make a working copy to change it)."""
        return self.source == PACKAGE

    def data_files(self) -> list[Path]:
        """Every Turtle file of the dataset, in a stable order."""
        return sorted(self.data_dir.rglob("*.ttl"))

    def model_files(self) -> list[Path]:
        """The ontology and its SKOS vocabularies (not the shapes)."""
        return [self.ontology_file, *self.vocabulary_files]

    def missing(self) -> list[str]:
        """What a home must hold and this one lacks (e.g. ``["ontology/shapes.ttl"]``)."""
        return [relative for relative, is_dir in _REQUIRED
                if not ((self.root / relative).is_dir() if is_dir
                        else (self.root / relative).is_file())]

    def check(self) -> ProjectPaths:
        """This home, if it holds what a home must; else an :class:`InputError` that
        names the setting to change (never a path inside the installed package)."""
        missing = self.missing()
        if not missing:
            return self
        lacks = "it has no " + (missing[0] if len(missing) == 1
                                else f"{', '.join(missing[:-1])} or {missing[-1]}")
        if self.is_package_copy:
            raise InputError(
                f"this installation of compact-kg has no copy of its graph ({lacks})",
                hint="Reinstall compact-kg, or use a working copy: compact-kg --home DIR "
                     "(or set COMPACT_KG_HOME=DIR), where DIR was made by `compact-kg init DIR`")
        if self.source == "--home":
            raise InputError(f"--home {self.root} is not a compact-kg working copy: {lacks}",
                             hint="Give --home a folder made by `compact-kg init DIR`, "
                                  "or leave --home out to use the package's own copy")
        if self.source == "COMPACT_KG_HOME":
            raise InputError(
                f"COMPACT_KG_HOME={self.root} is not a compact-kg working copy: {lacks}",
                hint="Set COMPACT_KG_HOME to a folder made by `compact-kg init DIR`, "
                     "or unset it to use the package's own copy")
        raise InputError(f"the working copy {self.root} is incomplete: {lacks}",
                         hint="Restore the missing files, or choose another copy with "
                              "--home DIR or COMPACT_KG_HOME")

    def describe(self) -> str:
        """Where the data comes from, in one phrase: ``package copy (compact-kg 0.1.0)``,
        ``working copy /path (from --home)``."""
        if self.is_package_copy:
            from compact_kg import __version__

            return f"package copy (compact-kg {__version__})"
        why = _SOURCES.get(self.source)
        return f"working copy {self.root}" + (f" ({why})" if why else "")

    def dataset_version(self) -> str | None:
        """The ``owl:versionInfo`` of ontology/compact.ttl, read cheaply (no RDF parser):
        the first one in the file, which is the ontology header's; None if unreadable."""
        try:
            with self.ontology_file.open(encoding="utf-8", errors="replace") as handle:
                head = handle.read(65536)
        except OSError:
            return None
        match = _VERSION_INFO.search(head)
        return match.group(1) if match else None


def package_paths() -> ProjectPaths | None:
    """The package's own copy of the graph (``compact_kg/_graph/`` of an installed wheel),
    or None where there is none (an editable install reads its source tree instead)."""
    from importlib.resources import files

    graph = files("compact_kg").joinpath("_graph")
    if not isinstance(graph, Path) or not graph.is_dir():
        return None  # not installed from a wheel or an sdist (or installed zipped)
    return ProjectPaths(graph, PACKAGE)


def find_working_copy(start: str | Path) -> Path | None:
    """The nearest folder, ``start`` or one above it, that holds ontology/compact.ttl and
    queries/ (a checkout or a working copy), or None."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "ontology" / "compact.ttl").is_file() and (folder / "queries").is_dir():
            return folder
    return None


def default_paths(root: str | Path | None = None) -> ProjectPaths:
    """Paths of the home at ``root``; with no ``root``, of the source tree this package
    runs from (an editable install or a checkout), else of the package's own copy."""
    if root is not None:
        return ProjectPaths(Path(root).resolve())
    if (_CHECKOUT / "ontology" / "compact.ttl").is_file():
        return ProjectPaths(_CHECKOUT, "source tree")
    return package_paths() or ProjectPaths(_CHECKOUT, PACKAGE)  # check() explains the latter


def locate_home(home: str | Path | None = None, *, setting: str = "--home",
                cwd: str | Path | None = None) -> ProjectPaths:
    """The home the command line works on (see the module's docstring for the order).

    ``home`` is the folder named by ``setting`` (``"--home"`` or ``"COMPACT_KG_HOME"``);
    with none, the working copy around ``cwd`` if any, else :func:`default_paths`.
    The result is not checked: call :meth:`ProjectPaths.check` before reading from it.
    """
    if home is not None:
        return ProjectPaths(Path(home).expanduser().resolve(), setting)
    if cwd is not None:
        found = find_working_copy(cwd)
        if found is not None:
            source = "source tree" if found == _CHECKOUT else "working copy"
            return ProjectPaths(found, source)
    return default_paths()
