"""The embedded SPARQL store: the project's Turtle files loaded into pyoxigraph.

The files loaded here are the project's own (ontology, vocabularies, data), so they are
trusted: they are bulk-loaded into the default graph of an in-memory store. Syntax errors
still become :class:`~compact_kg.errors.InputError` naming file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph

from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths

__all__ = ["dataset_files", "load_store"]


def dataset_files(paths: ProjectPaths) -> list[Path]:
    """The files that make up the knowledge graph: ontology, vocabularies and data.

    The SHACL shapes are not part of the dataset and are left out.
    """
    return [*paths.model_files(), *paths.data_files()]


def load_store(files: Iterable[Path]) -> pyoxigraph.Store:
    """Load Turtle ``files`` into the default graph of a new in-memory store.

    Raises :class:`InputError` (``FILE:LINE:COLUMN: ...``) on the first file that cannot
    be read or parsed.
    """
    store = pyoxigraph.Store()
    for path in files:
        _load_file(store, Path(path))
    return store


def _load_file(store: pyoxigraph.Store, path: Path) -> None:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"cannot read the file ({error.strerror or error})",
            path=path,
            hint="Check that it exists and is readable",
        ) from None
    try:
        store.bulk_load(data, format=pyoxigraph.RdfFormat.TURTLE)
    except SyntaxError as error:
        raise InputError(
            f"Turtle syntax error: {_reason(error)}",
            path=path,
            line=error.lineno,
            column=error.offset,
            hint="Fix the Turtle at that position",
        ) from None


def _reason(error: SyntaxError) -> str:
    """The parser's message without its own 'at line N between columns A and B' prefix."""
    message = str(error.msg)
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error at") else message
