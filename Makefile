# Two commands do all set-up on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test test-fast lint install install-test browser build clean

run: $(VENV)/.installed
	$(PY) app.py --host $(HOST) --port $(PORT)

# `make test`: every test, the real model, app and browser included (tests marked `slow` too, as CI runs them).
# `make test-fast`: the logic tests only, on the deterministic hash embedder of tests/helpers.py (no model load).
test: $(VENV)/.installed-test browser
	$(PY) -m ruff check qa tests app.py bench train
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -m "not slow"

lint: $(VENV)/.installed-test
	$(PY) -m ruff check qa tests app.py bench train
	$(PY) -m ruff format --check qa tests app.py bench train
	$(VENV)/bin/lint-imports

build: $(VENV)/.installed
	$(VENV)/bin/qa build

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The CPU build of torch goes in first, so nothing later pulls the CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) index/current index/versions index/.lock .pytest_cache
