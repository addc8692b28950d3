# Ecoute: `make demo` runs the product on SQLite; `make test` passes the suite.
PYTHON ?= python3
# bash: the type check reads PIPESTATUS and process substitution.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# Parallel workers for the suite; each gets its own test database.
TEST_WORKERS ?= 2

.PHONY: help install install-dev demo test lint typecheck typecheck-baseline format messages compile-messages clean

help:
	@echo "make demo   - set up, load a sample history into SQLite, serve on http://127.0.0.1:8000"
	@echo "make test   - set up the dev tools and run lint and the whole suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml tools/npm_assets.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python tools/npm_assets.py
	touch $@

# The dev tools add the tests' browser files (axe-core) to the site's (Chart.js).
$(VENV)/.installed-dev: pyproject.toml tools/npm_assets.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python tools/npm_assets.py --dev
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: export DEBUG ?= 1
demo: export DATABASE_URL ?= sqlite:///$(CURDIR)/db.sqlite3
# The surveys and alerts go to files, read by the demo mailbox page (/surveys/demo-mailbox/).
demo: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend
demo: export EMAIL_FILE_PATH ?= $(CURDIR)/demo-mailbox
# Alerts of follow-ups whose team has no lead go there (it lands in the mailbox too).
demo: export FOLLOWUP_ALERT_FALLBACK_EMAIL ?= quality@example.com
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/pytest -n $(TEST_WORKERS)

# Types: mypy with the Django and DRF plugins. mypy-baseline.txt lists the errors the code had
# when the check came in (paths and messages, no line numbers); it may only shrink.
TYPED := config tickets surveys kpis web connectors tests
define TYPECHECK_HELP

The type check failed.
- Errors listed above are new: they are not in mypy-baseline.txt. Fix them in the code
  (a merge brings them as often as a change does); never add them to the baseline.
- If no error is listed, some errors of the baseline no longer occur (well done): run
  `make typecheck-baseline`, which removes them, and commit mypy-baseline.txt.
endef
export TYPECHECK_HELP

typecheck: install-dev
	@out=$$(mktemp); DEBUG=1 $(BIN)/mypy $(TYPED) > $$out 2>&1; status=$$?; \
	if [ $$status -gt 1 ]; then cat $$out; rm -f $$out; exit $$status; fi; \
	$(BIN)/mypy-baseline filter --no-colors --hide-stats < $$out | grep -v '^Found [0-9]* errors\? in'; \
	ok=$${PIPESTATUS[0]}; rm -f $$out; \
	if [ $$ok -ne 0 ]; then echo "$$TYPECHECK_HELP"; exit 1; fi; echo "mypy: no error beyond the baseline."

# Rewrite the baseline from the errors found now, refusing to let it grow.
typecheck-baseline: install-dev
	@out=$$(mktemp); DEBUG=1 $(BIN)/mypy $(TYPED) > $$out 2>&1; \
	cp mypy-baseline.txt $$out.before; \
	$(BIN)/mypy-baseline sync --sort-baseline < $$out > /dev/null; \
	added=$$(comm -13 <(sort $$out.before) <(sort mypy-baseline.txt) | wc -l); rm -f $$out $$out.before; \
	if [ $$added -ne 0 ]; then git checkout -- mypy-baseline.txt; \
		echo "Refused: the baseline would gain $$added error(s); fix them instead."; exit 1; fi; \
	echo "mypy-baseline.txt rewritten."

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages:
	DEBUG=1 $(BIN)/python manage.py makemessages -l fr -l en --ignore=.venv --ignore=tests --ignore=bench
	$(MAKE) --no-print-directory compile-messages

# The compiled catalogues (.mo) are committed, so that every install speaks French without
# gettext; tests/test_translations.py fails when they lag behind the .po files. gettext's msgfmt
# compiles them when the machine has it, Babel (installed with Ecoute) otherwise. The touch:
# compilemessages skips a .mo newer than its .po, as a checkout or a merge may leave it.
compile-messages:
	@touch locale/*/LC_MESSAGES/django.po
	@if command -v msgfmt >/dev/null 2>&1; then \
		DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; \
	else \
		$(BIN)/pybabel -q compile --domain django --directory locale; \
	fi

clean:
	rm -rf $(VENV) db.sqlite3
