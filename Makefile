# Two entry points: `make run` (install, generate, serve) and `make test` (install, lint, test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

HOUSEHOLDS ?= 20
YEARS      ?= 1
SEED       ?= 42
OUT        ?= var/population
PORT       ?= 8080
STORE_PORT ?= 8090

.PHONY: install run generate test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(BIN)/selfdata generate --households $(HOUSEHOLDS) --years $(YEARS) --seed $(SEED) --out $(OUT) --force

run: $(STAMP)
	@if host=$$(scripts/ensure-docker.sh); then export DOCKER_HOST=$$host; \
	else echo "make run: no Docker engine; apps will not be built"; fi; \
	$(BIN)/selfdata up --households $(HOUSEHOLDS) --years $(YEARS) --seed $(SEED) --data $(OUT) --port $(PORT) --store-port $(STORE_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The docker and browser suites run for real: engines are found or installed and started first
# (as root; otherwise those tests skip locally, and fail in CI).
test: lint
	@set -e; \
	if host=$$(scripts/ensure-docker.sh); then export DOCKER_HOST=$$host; \
	  echo "Docker engine: $$host"; $(BIN)/selfdata store base-image; \
	else echo "make test: no Docker engine; docker tests will skip (CI fails them)"; fi; \
	scripts/ensure-chromium.sh >/dev/null || echo "make test: no chromium; browser tests will skip"; \
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/generate.py

clean:
	rm -rf $(VENV) var build *.egg-info
