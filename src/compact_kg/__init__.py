"""compact-kg: linked open data about Local Compacts between councils and the voluntary
and community sector in England.

The public API is listed in ``__all__``. The library functions are imported on first use,
so that ``import compact_kg`` (and ``compact-kg --help``) stays quick; for example::

    from compact_kg import validate_dataset
    report = validate_dataset()
    print(report.conforms, report.summary)
"""

from __future__ import annotations

import importlib
from typing import Any

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

#: Public name -> the module that defines it (imported lazily by ``__getattr__``).
_LAZY = {
    "CKG": "compact_kg.namespace",
    "ProjectPaths": "compact_kg.paths",
    "QueryResult": "compact_kg.results",
    "SavedQuery": "compact_kg.queries",
    "ValidationReport": "compact_kg.validate",
    "ValidationResult": "compact_kg.validate",
    "dataset_files": "compact_kg.store",
    "default_paths": "compact_kg.paths",
    "diff_graphs": "compact_kg.diff",
    "find_query": "compact_kg.queries",
    "load_catalogue": "compact_kg.queries",
    "load_store": "compact_kg.store",
    "publish_site": "compact_kg.publish",
    "read_rdf": "compact_kg.rdfio",
    "run_embedded": "compact_kg.queries",
    "run_query": "compact_kg.queries",
    "run_remote": "compact_kg.queries",
    "submit": "compact_kg.submissions",
    "upload": "compact_kg.endpoint",
    "validate_dataset": "compact_kg.validate",
    "validate_files": "compact_kg.validate",
    "validate_graph": "compact_kg.validate",
    "validate_submissions": "compact_kg.submissions",
}

__all__ = [
    "CKG",
    "CompactKGError",
    "EndpointError",
    "InputError",
    "ParameterError",
    "ProjectPaths",
    "QueryError",
    "QueryResult",
    "QueryTimeoutError",
    "SavedQuery",
    "SubmissionError",
    "UnsafeInputError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "dataset_files",
    "default_paths",
    "diff_graphs",
    "find_query",
    "load_catalogue",
    "load_store",
    "publish_site",
    "read_rdf",
    "run_embedded",
    "run_query",
    "run_remote",
    "submit",
    "upload",
    "validate_dataset",
    "validate_files",
    "validate_graph",
    "validate_submissions",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compact_kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
