"""compact-kg: linked open data about Local Compacts between councils and the voluntary
and community sector in England."""

from __future__ import annotations

from compact_kg.errors import (
    CompactKGError,
    EndpointError,
    InputError,
    ParameterError,
    QueryError,
    QueryTimeoutError,
    SubmissionError,
    UnsafeInputError,
)

__version__ = "0.1.0"

__all__ = [
    "CompactKGError",
    "EndpointError",
    "InputError",
    "ParameterError",
    "QueryError",
    "QueryTimeoutError",
    "SubmissionError",
    "UnsafeInputError",
    "__version__",
]
