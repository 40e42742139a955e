# Two commands matter: `make app` (serve the app) and `make test` (everything CI runs).
# Both work on a fresh machine: they create .venv and install what they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: install app test test-fast browser-deps build bench bench-diff eval clean

install: $(STAMP)

# torch first and pinned: 2.13.0 is the CPU build; an unpinned torch pulls
# several GB of CUDA. constraints.txt holds the exact tested versions.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Debian's chromium for the browser tests (Playwright never downloads a browser here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install browser-deps
	$(BIN)/python -m pytest

# The quick loop while developing: no model, no browser.
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

build: install
	$(BIN)/wtkb build

app: install
	-WTKB_FETCH_TIMEOUT_S=10 $(BIN)/wtkb fetch --allow-missing --timeout 120
	$(BIN)/wtkb build --if-stale
	$(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

eval: install
	$(BIN)/wtkb eval

bench: install bench-diff
	$(BIN)/python -m evals.bench

# Edition alignment scored against known edits (evals/reports/diff.md).
bench-diff: install
	$(BIN)/python -m evals.diff_eval

clean:
	rm -rf var .pytest_cache
