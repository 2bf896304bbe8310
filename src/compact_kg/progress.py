"""Progress bars for long work, shown only to a person watching a terminal.

Library functions that take a while accept an optional ``progress(done, total)`` callback;
:func:`progress_bar` makes one. The bar is drawn with rich on stderr only when stderr is a
terminal, ``quiet`` is false and the ``CI`` environment variable is unset; otherwise the
callback does nothing, so output piped to a file or a CI log stays clean::

    with progress_bar("loading", total=len(files)) as progress:
        load_store(files, progress=progress)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["ProgressCallback", "progress_bar", "wants_progress"]

#: ``progress(done, total)``: ``done`` units of ``total`` are finished.
ProgressCallback = Callable[[int, int], None]


def wants_progress(quiet: bool = False) -> bool:
    """Whether a bar should be drawn: stderr is a terminal, not quiet, not CI."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


def _ignore(done: int, total: int) -> None:
    """The callback used when no bar is drawn."""


@contextmanager
def progress_bar(description: str, total: int | None = None, *,
                 quiet: bool = False) -> Iterator[ProgressCallback]:
    """A ``progress(done, total)`` callback that drives a bar while the block runs."""
    if not wants_progress(quiet):
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, new_total: int) -> None:
            bar.update(task, completed=done, total=new_total)

        yield advance
