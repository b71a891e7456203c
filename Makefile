# tiptiers: `make run` serves the app on SQLite; `make test` runs every check. Both set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
SMOKE_VENV := var/smoke/venv
# The suite runs in 3 processes (pytest-xdist), a file per process at a time: most tests wait on servers, browsers
# and databases, so 3 keep 2 cores busy. `make test PYTEST_WORKERS=0` runs it in one process (a debugger, -x).
PYTEST_WORKERS ?= 3
PYTEST_ARGS ?= $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
# The lock: uv.lock (one resolution for every platform) and, exported from it, the hashed requirements that pip
# installs from. `make lock` refreshes all three after a change to the dependencies in pyproject.toml.
LOCK_RUN := requirements/run.txt
LOCK_TEST := requirements/test.txt
EXPORT = $(BIN)/uv export --frozen --no-emit-project --no-header --format requirements-txt --quiet
SAY = @printf '\n== %s\n' 

.PHONY: run test install install-test lock lock-check lint typecheck docs pytest smoke bench clean

run: install
	$(SAY) "tiptiers init: create or upgrade the database, load the bundled history"
	$(BIN)/tiptiers init
	$(SAY) "tiptiers serve: the app on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/tiptiers serve --host $(HOST) --port $(PORT)

# The smoke runs beside the suite (the suite mostly waits on servers and browsers: the cores have room for it);
# its output, kept in var/smoke.log, follows the suite's.
test: install-test lock-check
	scripts/ensure-system-deps.sh
	$(MAKE) lint typecheck docs
	@mkdir -p var
	$(SAY) "the smoke starts beside the suite; its output follows the suite's (and stays in var/smoke.log)"
	@$(MAKE) --no-print-directory smoke > var/smoke.log 2>&1 & smoke=$$!; \
	TIPTIERS_TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest $(PYTEST_ARGS); suite=$$?; \
	printf '\n== the smoke (var/smoke.log)\n'; wait $$smoke; smoked=$$?; cat var/smoke.log; \
	test $$suite -eq 0 && test $$smoked -eq 0

# Every command and page in an install made as `make run` makes it (its own venv, no test extras): the suite runs
# with the test extras and cannot see a runtime dependency that is missing.
smoke:
	$(MAKE) --no-print-directory install VENV=$(SMOKE_VENV)
	$(SMOKE_VENV)/bin/python scripts/smoke_install.py

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(SAY) "making the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(LOCK_RUN) | $(BIN)/python
	$(SAY) "installing the locked runtime dependencies ($(LOCK_RUN)) into $(VENV); a minute or two the first time"
	$(PIP) install --require-hashes --progress-bar off -r $(LOCK_RUN)
	$(SAY) "installing tiptiers itself (editable: src/ is what runs)"
	$(PIP) install --quiet --no-deps -e .
	$(BIN)/python -c "import tiptiers.cli"
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK_TEST) | $(BIN)/python
	$(SAY) "installing the locked runtime and test dependencies ($(LOCK_TEST)) into $(VENV)"
	$(PIP) install --require-hashes --progress-bar off -r $(LOCK_TEST)
	$(SAY) "installing tiptiers itself (editable)"
	$(PIP) install --quiet --no-deps -e .
	$(BIN)/python -c "import tiptiers.cli, pytest, playwright"
	touch $(VENV)/.installed $@

# After adding or changing a dependency in pyproject.toml: `make lock`, then commit uv.lock and requirements/.
lock: | $(BIN)/python
	test -x $(BIN)/uv || $(PIP) install --quiet uv
	$(BIN)/uv lock
	$(EXPORT) -o $(LOCK_RUN)
	$(EXPORT) --extra test -o $(LOCK_TEST)

lock-check: install-test
	@$(BIN)/uv lock --locked --quiet 2>/dev/null || { echo "pyproject.toml and uv.lock disagree (a dependency was \
	added or changed): run \`make lock\` and commit uv.lock and requirements/"; exit 1; }
	@$(EXPORT) | cmp -s - $(LOCK_RUN) && $(EXPORT) --extra test | cmp -s - $(LOCK_TEST) || { echo "requirements/ \
	is not what uv.lock gives: run \`make lock\` and commit uv.lock and requirements/"; exit 1; }

lint: install-test
	$(BIN)/ruff check src tests bench

# The documentation site (docs/, mkdocs.yml) into build/docs; --strict: a broken link fails.
docs: install-test
	$(BIN)/mkdocs build --strict --quiet

typecheck: install-test
	$(BIN)/mypy

bench: install-test
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
