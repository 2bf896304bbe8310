"""Regression: the first SPARQL parses of a process, made from many threads at once (as the
threaded `compact-kg serve` does), must not break rdflib's parser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_COLD_START = r"""
import sys, threading
from pathlib import Path
from compact_kg.queries import parse_query_tree

# the raw texts: nothing may parse a query before the threads start
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[1]).glob("*.rq"))]
errors = []
start = threading.Barrier(8)

def work(offset):
    start.wait()
    for i in range(len(texts)):
        try:
            parse_query_tree(texts[(i + offset) % len(texts)])
        except Exception as error:  # count every failure, whatever its type
            errors.append(repr(error))

threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
# and the parser still works afterwards
parse_query_tree("SELECT * WHERE { ?s ?p ?o }")
print(len(errors))
"""


def test_concurrent_first_parses_do_not_break_the_parser():
    for _ in range(3):  # the failure was intermittent: try a few cold processes
        done = subprocess.run([sys.executable, "-c", _COLD_START, str(ROOT / "queries")],
                              capture_output=True, text=True, timeout=120, check=True)
        assert done.stdout.strip() == "0", done.stdout + done.stderr
