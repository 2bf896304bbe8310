# Convenience targets; the test suite itself runs through .ci/run.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-smoke bench-national

# Sizes 10^2..10^4, every benchmark: about 45-60 minutes on 2 cores (at 10^4 raw pySHACL,
# our validation, publish and our server's start-up each take minutes).
# Writes bench/results/latest.json and the tables of docs/benchmarks.md.
bench:
	$(PYTHON) -m bench --sizes 100,1000,10000 --repeat 3

# Adds 10^5 case studies for every operation (about 75 minutes; the first submission check
# builds the dataset index, ~3 min; publish writes 5 million files, ~9 min; serve ~17 min).
# Raw pySHACL is capped at 300 s per run there (it would take hours).
bench-national:
	$(PYTHON) -m bench --sizes 100000 --ops load,load-cached,queries,validate-whole,validate-submission,publish,serve --repeat 3 --timeout 300 --merge

# 10^2 case studies, one run: checks the harness works; writes nothing under docs/.
bench-smoke:
	$(PYTHON) -m bench --sizes 100 --repeat 1 --json bench/out/smoke.json --no-doc
