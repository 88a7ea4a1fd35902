# Two commands a newcomer needs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PORT ?= 8000

.PHONY: run test test-fast test-postgres lint install system-packages sweep worker bench screenshots clean

# System libraries Python cannot bring: Pango (with HarfBuzz and fontconfig) for WeasyPrint, which renders the
# official letters as PDF, and a serif font for them. Installed with apt-get when root on Debian/Ubuntu; otherwise
# a hint says what to install, and the install stops.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core

system-packages:
	@if $(PYTHON) -c "import ctypes.util as u, sys; sys.exit(0 if u.find_library('pango-1.0') and u.find_library('pangoft2-1.0') else 1)"; then \
		exit 0; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing $(SYSTEM_PACKAGES) (WeasyPrint, the letters' PDF renderer, needs Pango)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	else \
		echo "WeasyPrint (the letters' PDF renderer) needs Pango >= 1.44. Install it first, e.g. on Debian/Ubuntu:" >&2; \
		echo "    sudo apt-get install $(SYSTEM_PACKAGES)" >&2; \
		echo "(macOS: brew install pango). Then run make install again." >&2; \
		exit 1; \
	fi

$(STAMP): pyproject.toml | system-packages
	@command -v c++ >/dev/null 2>&1 || { echo "pdqhash (PDQ image hashing) compiles C++ on install: install a compiler first (Debian: apt-get install g++ python3-dev)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Bring the portal up on SQLite with demo data and print the logins: the server, a background worker and the
## deadline sweeper (every minute), stopped together by Ctrl-C. `make run PORT=8001` picks another port.
run: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py quickstart --addrport 127.0.0.1:$(PORT)

## A background worker (webhook deliveries and other jobs) against the demo database; one per core.
worker: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py worker

## The whole test suite (SQLite unless DATABASE_URL says otherwise), a pytest-xdist worker per core, each file's
## tests in one worker (a few files have a test counting what an earlier one did). `make test TEST_WORKERS=0` runs
## it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## The fast loop: everything not marked `slow` (no Chromium, no extra processes, no full-depth property tests).
## It keeps Python's bytecode caches (pytest's rewritten tests among them) even where PYTHONDONTWRITEBYTECODE is set.
test-fast: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -m "not slow" -q

## The same suite on the local PostgreSQL.
test-postgres: $(STAMP)
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

## ruff, and the import contract (the layers in pyproject.toml's [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Run the deadline sweeper once against the demo database.
sweep: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py sweep_deadlines

## Benchmark the pages and the API against a generated PostgreSQL data set (README, "Benchmarks").
bench: $(STAMP)
	$(BIN)/python bench/run.py

## Refresh the README's screenshots: the main pages of both consoles in both languages (and the inbox on a phone),
## taken in Chromium by tests/test_browser_fit.py, copied into docs/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser_fit.py -k main_pages
	for f in tests/screenshots/docs-*.png; do cp "$$f" "docs/screenshots/$${f#tests/screenshots/docs-}"; done

clean:
	rm -rf $(VENV) var
