# Ecoute: `make demo` runs the product on SQLite; `make test` passes the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Parallel workers for the suite; each gets its own test database.
TEST_WORKERS ?= 2

.PHONY: help install install-dev demo test lint format messages compile-messages clean

help:
	@echo "make demo   - set up, load a sample history into SQLite, serve on http://127.0.0.1:8000"
	@echo "make test   - set up the dev tools and run lint and the whole suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: export DEBUG ?= 1
demo: export DATABASE_URL ?= sqlite:///$(CURDIR)/db.sqlite3
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/pytest -n $(TEST_WORKERS)

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
