# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/portal_test

.PHONY: run test test-sqlite test-postgres venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

## Set up, migrate, load the demo data if the database is empty, serve on http://127.0.0.1:5000
run: venv
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## Set up and run the whole suite on SQLite, then on PostgreSQL when one is reachable
test: venv test-sqlite test-postgres

test-sqlite: venv
	$(BIN)/pytest

test-postgres: venv
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; $(BIN)/pytest; \
	elif $(BIN)/python tests/pg.py ensure "$(PG_URL)"; then \
		echo "== PostgreSQL: $(PG_URL)"; TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest; \
	elif [ -n "$$REQUIRE_SERVICES" ]; then \
		echo "== PostgreSQL required (REQUIRE_SERVICES) but not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "== PostgreSQL not reachable on 127.0.0.1:5432: suite ran on SQLite only"; \
	fi

clean:
	rm -rf $(VENV) instance
