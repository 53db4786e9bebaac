# culturepass: two commands. `make run` serves the demo, `make test` checks everything.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1
# pyenv shims pick the interpreter from .python-version (3.13): uv must be run
# through that interpreter, not through a shim installed for another version.
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV_BIN := .venv/bin

.PHONY: install run test lint types pytest messages browser-deps clean

install:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet

run: install
	$(VENV_BIN)/culturepass serve --demo

# Debian's Chromium for the browser tests (never a browser download of Playwright's own).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's chromium for the browser tests..."; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "warning: could not install chromium; browser tests will be skipped"; \
		else echo "warning: /usr/bin/chromium missing (apt-get install chromium); browser tests will be skipped"; fi; \
	fi

lint: install
	$(VENV_BIN)/ruff check src tests bench scripts
	$(VENV_BIN)/ruff format --check src tests bench scripts

# The type checker imports the settings but needs no database: a placeholder URL keeps
# it from starting the embedded server (mypy exits without running exit handlers,
# which would leave that server running).
types: install
	DATABASE_URL=postgresql://typecheck@127.0.0.1:1/none $(VENV_BIN)/mypy

pytest: install browser-deps
	$(VENV_BIN)/pytest

test: lint types pytest

messages: install
	cd src/culturepass && ../../$(VENV_BIN)/culturepass makemessages -l en -l fr --no-obsolete -i "migrations/*" \
		&& ../../$(VENV_BIN)/python ../../scripts/po_fill.py --source-plurals locale/fr/LC_MESSAGES/django.po \
		&& ../../$(VENV_BIN)/culturepass compilemessages

clean:
	rm -rf .venv .data .pytest_cache .mypy_cache .ruff_cache
