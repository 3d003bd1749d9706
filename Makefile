# Two commands matter: `make demo` and `make test`. Everything else is a helper of those two.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST_WORKERS ?= 2
.DEFAULT_GOAL := demo

.PHONY: help demo feed test bootstrap oracle-venv lint fmt typecheck test-py test-ts bench sim clean

## help: this list (every target with a ## comment)
help:
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z-]+): */  \1\t/' | expand -t 14

## demo: the arbitrage bot in paper mode against both simulators (Ctrl-C to stop; DEMO_ARGS="--run-seconds 60")
demo: bootstrap
	@npm run --silent demo -- $(DEMO_ARGS)

## feed: the sidecar alone, its raw NDJSON feed from the embedded Paradex simulator (pipe it to jq)
feed: bootstrap
	@$(PY) -m paradex_ws_service --env sim --markets BTC-USD-PERP,ETH-USD-PERP --channels bbo,trades

## test: install what is missing, lint, type-check, run every Python and TypeScript test
test: bootstrap lint typecheck test-py test-ts

## bootstrap: create or refresh .venv (CPython 3.10) and node_modules, only what is out of date
bootstrap:
	@bash scripts/bootstrap.sh

## oracle-venv: create or refresh .venv-oracle (the official EdgeX Python SDK, test-only, for the signing oracle)
oracle-venv:
	@bash scripts/oracle-venv.sh

## lint: ruff (Python) and biome (TypeScript), no changes made
lint: bootstrap
	$(PY) -m ruff check paradex_ws_service paradex-sim tests bench packages/edgex/test/oracle
	$(PY) -m ruff format --check paradex_ws_service paradex-sim tests bench packages/edgex/test/oracle
	npx biome check --error-on-warnings .

## fmt: format and fix what the linters can
fmt: bootstrap
	$(PY) -m ruff format paradex_ws_service paradex-sim tests bench packages/edgex/test/oracle
	$(PY) -m ruff check --fix paradex_ws_service paradex-sim tests bench packages/edgex/test/oracle
	npx biome check --write .

## typecheck: the TypeScript type-check (tsc --noEmit)
typecheck: bootstrap
	$(PY) -m mypy
	npx tsc --noEmit -p tsconfig.json
	npx tsc -b tsconfig.build.json

# pytest exits 5 when it collects nothing: that fails the target, as it must.
## test-py: the Python tests (pytest, PYTEST_WORKERS=2 in parallel)
test-py: bootstrap
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests

## test-ts: the TypeScript tests (node --test)
test-ts: bootstrap oracle-venv
	npm run --silent test:ts

## bench: latency percentiles, events/s and memory (writes bench/results/*.json)
bench: bootstrap
	$(PY) bench/run.py

## sim: the Paradex simulator standalone on port 8787, seed 1 (paradex-sim --help)
sim: bootstrap
	$(PY) -m paradex_sim --port 8787 --seed 1

## clean: remove .venv, node_modules and caches
clean:
	rm -rf .venv .venv-oracle node_modules .stamp-venv .stamp-venv-oracle .stamp-npm .pytest_cache .ruff_cache .mypy_cache
