"""The exceptions of compact-kg: one small family under :class:`CompactKGError`.

::

    CompactKGError                 base class; the CLI maps it to exit status 2
    ├── InputError                 a file cannot be read or parsed (names file, line, column)
    │   └── UnsafeInputError       a file asks for something we refuse (network, other files,
    │       │                      entity expansion, shapes in a submission, too big, too deep)
    │       └── TooManyTriplesError  a file holds more triples than the reader was allowed
    ├── QueryError                 a saved or user query is malformed or refused
    │   ├── ParameterError         a query parameter is missing or has the wrong type
    │   └── QueryTimeoutError      a query ran past its deadline and was stopped
    ├── EndpointError              a remote SPARQL endpoint failed or could not be reached
    ├── SubmissionError            a submission cannot be stored (e.g. it redefines an IRI)
    └── ReviewError                a review-queue entry is unknown, already decided or unreadable

Each message says what is wrong, where (file, line, column when known) and what to do,
on one line, so the command line can print it as it is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CompactKGError",
    "EndpointError",
    "InputError",
    "ParameterError",
    "QueryError",
    "QueryTimeoutError",
    "ReviewError",
    "SubmissionError",
    "TooManyTriplesError",
    "UnsafeInputError",
]


class CompactKGError(Exception):
    """Base class of every error compact-kg raises on purpose."""

    exit_code = 2


class InputError(CompactKGError):
    """A file cannot be read or parsed.

    ``path``, ``line`` and ``column`` (1-based, when known) say where; the message
    is built as ``FILE:LINE:COLUMN: what is wrong. What to do.``
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.reason = message
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = f"{where}{self.reason}"
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        return " ".join(text.split())


class UnsafeInputError(InputError):
    """A file asks for something compact-kg refuses to do for untrusted input."""


class TooManyTriplesError(UnsafeInputError):
    """A file holds more triples than the reader was allowed to take (``limit``); reading
    stopped at the first triple past it."""

    def __init__(self, message: str, *, limit: int, **where: object) -> None:
        self.limit = limit
        super().__init__(message, **where)  # type: ignore[arg-type]


class QueryError(CompactKGError):
    """A query is malformed, refused, or failed while running."""


class ParameterError(QueryError):
    """A query parameter is missing, unknown, or not of its declared type."""


class QueryTimeoutError(QueryError):
    """A query ran past its deadline and was stopped."""


class EndpointError(CompactKGError):
    """A remote SPARQL endpoint failed or could not be reached."""


class SubmissionError(CompactKGError):
    """A submission is valid RDF but cannot be stored as it is."""


class ReviewError(CompactKGError):
    """A review-queue entry that does not exist, is already decided, or cannot be read."""
