# tiptiers: `make run` serves the app on SQLite; `make test` runs every check. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test lint typecheck pytest bench clean

run: install
	$(BIN)/tiptiers init
	$(BIN)/tiptiers serve --host $(HOST) --port $(PORT)

test: install-test
	scripts/ensure-system-deps.sh
	$(MAKE) lint typecheck
	TIPTIERS_TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import tiptiers.cli"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import tiptiers.cli, pytest, playwright"
	touch $(VENV)/.installed $@

lint: install-test
	$(BIN)/ruff check src tests bench

typecheck: install-test
	$(BIN)/mypy

bench: install-test
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
