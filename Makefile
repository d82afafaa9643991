# The two commands: `make run` runs Birge on the embedded default, `make test` runs every check.
# Both start from nothing but Python 3.11+ and make: they create .venv and install what they need.

PYTHON ?= python3
VENV   := .venv
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.9
LOCALE := shared/birge_shared/locale

.PHONY: run test install messages node chromium dovecot lint services clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# `uv sync` keeps .venv exactly as uv.lock says (uv itself is pinned in the dev group,
# so syncing never removes the tool doing the syncing). Bytecode is compiled at install: where
# PYTHONDONTWRITEBYTECODE is set, every command would otherwise compile pydantic, FastAPI and
# SQLAlchemy from source each time it starts (seconds for `birge --help`).
# The catalogues are compiled to .mo here. `--use-fuzzy` because Babel marks the header of a
# catalogue written without one as fuzzy, which would skip the whole file; no entry is fuzzy
# (`make messages` does no fuzzy matching, and tests/unit/test_catalogues.py checks).
install: $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet --compile-bytecode
	$(VENV)/bin/pybabel -q compile --use-fuzzy -d $(LOCALE) -D birge

# After changing texts in templates or code: extract them and bring every catalogue up to date
# (then translate the new entries in each .po; tests/unit/test_catalogues.py checks none is empty).
messages: install
	mkdir -p var
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --omit-header -o var/birge.pot .
	$(VENV)/bin/pybabel -q update -i var/birge.pot -d $(LOCALE) -D birge --width 100 --no-fuzzy-matching --ignore-obsolete

run: install
	$(VENV)/bin/birge dev

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

services:
	bash tests/services.sh

# Prism and Twilio's published OpenAPI contract, pinned by tests/contract/package-lock.json.
node:
	npm ci --no-audit --no-fund --loglevel=error --prefix tests/contract
	npm ci --no-audit --no-fund --loglevel=error --prefix tests/e2e
	npm ci --no-audit --no-fund --loglevel=error --prefix services/console

# Debian's Chromium for the browser test of the participant page (never Playwright's download).
chromium:
	bash tests/install_chromium.sh

# Debian's Dovecot for the calendar-reply test, which starts its own instance on a loopback port.
dovecot:
	bash tests/install_dovecot.sh

# Two processes, whole files to each: every process is a run of its own (tests/conftest.py),
# with its own database and redis-server, so they cannot see each other's rows or keys.
PYTEST_PROCESSES ?= 2

test: install node services chromium dovecot lint
	$(VENV)/bin/pytest --numprocesses=$(PYTEST_PROCESSES) --dist=loadfile

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
