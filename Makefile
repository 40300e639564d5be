# Treue: the README's commands. `make run` serves the demo, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ACCOUNTS ?= 300

.PHONY: run test fuzz install install-dev lint format bench migrate demo clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The translations: crm/locale/*/django.mo is committed; it is rebuilt from the .po when
# gettext's msgfmt is there (a machine without it keeps the committed one).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore='$(VENV)' >/dev/null; \
	else echo "msgfmt not found: using the committed translations"; fi
	touch $@

install: $(VENV)/.installed

# The broker: CELERY_BROKER_URL if set, else Redis on 127.0.0.1:6379 if it answers, else a
# broker in files under var/broker/ (crm/broker.py). preflight picks it once and the shell
# exports it, so web, worker and beat (honcho passes the environment on) all use the same.
run: install
	@broker=$$($(BIN)/python manage.py preflight --broker-env) || exit 1; \
	export "$$broker"; set -e; \
	$(BIN)/python manage.py migrate --no-input; \
	$(BIN)/python manage.py seed_demo --accounts $(DEMO_ACCOUNTS) --if-empty; \
	$(BIN)/python manage.py snapshot_retention --months 24; \
	PATH=$(CURDIR)/$(BIN):$$PATH exec $(BIN)/honcho start

# Randomised tests draw the same examples every run here and in CI (the "ci" hypothesis profile,
# tests/conftest.py); `make fuzz` runs only them, with fresh random examples and 25 times as
# many, for a person hunting bugs on purpose. Turn what it finds into an @example.
test: install
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest

fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -m hypothesis -p no:cacheprovider

# Every main page at 1366 px and at phone width, per role and language, in tests/artifacts/
# (needs Debian's chromium: apt-get install chromium).
screenshots: install
	$(BIN)/python -m pytest tests/browser/test_screenshots.py -m browser -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Each benchmark builds or reuses its own PostgreSQL database (see the docstring at the top
# of each script); `make bench BENCH=bench/bench_import.py` runs one.
BENCH ?= $(sort $(wildcard bench/bench_*.py))
bench: install
	@for script in $(BENCH); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
