# Two commands set up everything: `make run` (the main job) and `make test` (every gate).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck unit smoke bench soak soak-test audit clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt \
		--config-settings editable_mode=compat -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The main job: the book's slow inventory under load, with the live view and a report.
run: $(STAMP)
	$(BIN)/sim run --scenario slow-inventory --duration 40s

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# A short real smoke run: the smoke-tagged scenarios, 15 s each, gated on their SLOs.
# --force: each `make test` replaces the previous smoke results.
smoke: $(STAMP)
	$(BIN)/sim smoke --out results/smoke --force

test: lint typecheck unit smoke

# Benchmarks (need wrk: apt-get install wrk, and git: the last main before issue #13 runs
# beside this tree); each writes its table to docs/performance.md. BENCH_BFF_ARGS: e.g.
# "--also COMMIT" to put another commit's BFF in the same run.
BENCH_BFF_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_sim.py --write
	$(BIN)/python benchmarks/bench_bff.py --write $(BENCH_BFF_ARGS)
	$(BIN)/python benchmarks/bench_harness.py --write
	$(BIN)/python benchmarks/bench_gc.py --write

# The long soak (10 minutes at 100 BFF requests/s, mixed faults) and its gated test form.
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --seconds 600 --write

soak-test: $(STAMP)
	SIM_SOAK_SECONDS=$${SIM_SOAK_SECONDS:-600} $(BIN)/pytest tests/test_soak.py

# Known vulnerabilities in the pinned dependencies. Not part of `make test`: pip-audit needs
# PyPI's JSON API or OSV, which this project's own build machines cannot reach (docs/ci.md).
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt pip-audit
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
