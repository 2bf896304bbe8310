# Convenience targets; the test suite itself runs through .ci/run.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-smoke bench-national

# Sizes 10^2..10^4, 3 runs each: about 20-30 minutes on 2 cores.
# Writes bench/results/latest.json and the tables of docs/benchmarks.md.
bench:
	$(PYTHON) -m bench --sizes 100,1000,10000 --repeat 3

# Adds the national scale, 10^5 case studies (one run per side at that size).
bench-national:
	$(PYTHON) -m bench --sizes 100,1000,10000,100000 --repeat 3

# 10^2 case studies, one run: checks the harness works; writes nothing under docs/.
bench-smoke:
	$(PYTHON) -m bench --sizes 100 --repeat 1 --json bench/out/smoke.json --no-doc
