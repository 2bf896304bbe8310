"""One measurement in a fresh child process: ``python -m bench.worker SPEC.json``.

The parent (:mod:`bench.run`) writes a spec ``{"op": ..., "side": "ours"|"baseline", ...,
"result": PATH}``, starts this module, reaps it with ``os.wait4`` to read its peak resident
memory, and reads the JSON written to ``result``. Each op times only the operation itself
with ``time.perf_counter`` (imports and fixtures are outside the timed block). An op whose
library function is not on this branch yet writes ``{"available": false, "reason": ...}``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import ops


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    op: Callable[[dict[str, Any]], dict[str, Any]] = getattr(ops, f"op_{spec['op']}")
    started = time.perf_counter()
    try:
        result = op(spec)
    except ops.NotAvailable as error:
        result = {"available": False, "reason": str(error)}
    result.setdefault("available", True)
    result["wall_seconds"] = time.perf_counter() - started
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
