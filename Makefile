# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/portal_test
CHROMIUM ?= /usr/bin/chromium
MO := translations/en/LC_MESSAGES/messages.mo

.PHONY: run test check test-sqlite test-postgres test-e2e screenshots bench i18n venv clean

venv: $(VENV)/.installed $(MO)

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The English catalogue, compiled whenever its .po changed.
$(MO): translations/en/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

## After changing UI text: extract every message, merge into each language's .po, compile
## (then translate what tests/web/test_i18n.py lists as missing, and run this again)
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l --width 100 \
		--project "Portal Verifikasi Pekerja Rentan" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

## Set up, migrate, load the demo data if the database is empty, serve on http://127.0.0.1:5000
run: venv
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## Set up, check the house rules, run the whole suite on SQLite (with the browser tests when
## Chromium is there), then on PostgreSQL when one is reachable
test: venv check test-sqlite test-postgres

## The house rules a machine checks: ruff (pyflakes, pycodestyle, isort, bugbear), mypy on core/
## and every rules module, the import contracts (pyproject.toml)
check: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test-sqlite: venv
	@if [ -x "$(CHROMIUM)" ]; then echo "== Browser tests (tests/e2e) on $(CHROMIUM)"; \
	else echo "== Browser tests will be SKIPPED: no Chromium at $(CHROMIUM) (make test-e2e installs it)"; fi
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -rs

# The browser tests run their own SQLite server: not again on PostgreSQL.
test-postgres: venv
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; $(BIN)/pytest -rs --ignore=tests/e2e; \
	elif $(BIN)/python -m tests.pg ensure "$(PG_URL)"; then \
		echo "== PostgreSQL: $(PG_URL)"; TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -rs --ignore=tests/e2e; \
	elif [ -n "$$REQUIRE_SERVICES" ]; then \
		echo "== PostgreSQL required (REQUIRE_SERVICES) but not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "== PostgreSQL not reachable on 127.0.0.1:5432: suite ran on SQLite only"; \
	fi

## Only the browser tests, with Chromium installed first if missing (apt-get: needs root)
test-e2e: venv
	@[ -x "$(CHROMIUM)" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	CHROMIUM=$(CHROMIUM) REQUIRE_SERVICES=1 $(BIN)/pytest -rs tests/e2e

## Benchmark (BENCHMARKS.md): SQLite, then PostgreSQL if reachable; N = 4000,100000,1000000, or SIZE=N
bench: venv
	$(BIN)/python bench/run.py $(if $(SIZE),--sizes $(SIZE))

## Refresh the README's screenshots (docs/screenshots) from a browser run
screenshots: venv
	E2E_SCREENSHOTS=docs/screenshots CHROMIUM=$(CHROMIUM) $(BIN)/pytest -rs tests/e2e/test_screenshots.py

clean:
	rm -rf $(VENV) instance
