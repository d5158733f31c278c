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
	$(BIN)/selfdata up --households $(HOUSEHOLDS) --years $(YEARS) --seed $(SEED) --data $(OUT) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/generate.py

clean:
	rm -rf $(VENV) var build *.egg-info
