# Two entry points: `make run` (set up, generate, serve) and `make test` (set up, lint, test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The stack's assets (cozy-client-js, cozy-bar, fonts) from npm, pinned by sandbox/serving's lock.
ASSETS := var/stack-assets/node_modules/.package-lock.json

HOUSEHOLDS ?= 20
YEARS      ?= 1
SEED       ?= 42
OUT        ?= var/population
PORT       ?= 8080
STORE_PORT ?= 8090

.PHONY: setup install run generate test lint bench clean

# Debian's packages the project runs (docker.io, debootstrap, chromium, ...), when missing.
setup:
	@scripts/setup-machine.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(ASSETS): $(STAMP) sandbox/serving/package.json sandbox/serving/package-lock.json
	$(BIN)/selfdata sandbox assets
	touch $@

install: $(STAMP) $(ASSETS)

generate: $(STAMP)
	$(BIN)/selfdata generate --households $(HOUSEHOLDS) --years $(YEARS) --seed $(SEED) --out $(OUT) --force

run: setup $(STAMP) $(ASSETS)
	@if host=$$(scripts/ensure-docker.sh); then export DOCKER_HOST=$$host; \
	else echo "make run: no Docker engine; apps will not be built"; fi; \
	$(BIN)/selfdata up --households $(HOUSEHOLDS) --years $(YEARS) --seed $(SEED) --data $(OUT) --port $(PORT) --store-port $(STORE_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The docker, postgres, browser and node suites run for real: the set-up installs what they
# need and the Docker engine is started first (a test that cannot run fails in CI).
test: setup lint $(ASSETS)
	@set -e; \
	host=$$(scripts/ensure-docker.sh); export DOCKER_HOST=$$host; \
	echo "Docker engine: $$host"; $(BIN)/selfdata store base-image; \
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/generate.py

clean:
	rm -rf $(VENV) var build *.egg-info
