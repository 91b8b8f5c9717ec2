# `make run` and `make test` each install what they need into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run sandbox test lint typecheck catalog browser postgres i18n bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

# Without TELEGRAM_BOT_TOKEN this starts the sandbox (a fake Telegram and a chat page).
run: install
	$(BIN)/chibot run $(ARGS)

sandbox: install
	$(BIN)/chibot sandbox $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

catalog: install
	$(BIN)/python -m bot.catalog check

# The browser test drives Debian's Chromium; this installs it when it is missing.
browser:
	sh scripts/install-browser.sh

# The tests start a throw-away PostgreSQL cluster; this installs Debian's server when it is missing.
postgres:
	sh scripts/install-postgres.sh

test: lint typecheck catalog browser postgres
	$(BIN)/pytest

# Re-extract messages after changing user-facing text, then translate the new vi entries.
i18n: install
	$(BIN)/python -m bot.catalog update

bench: install
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/reminders.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
