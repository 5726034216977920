# The two commands of the README: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench bench-telegram bench-inbound bench-day clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/coachbot demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/plan.py

# About 3 minutes: one nudge to 5,000 learners at Telegram's 30 messages/s (docs/performance.md).
bench-telegram: $(STAMP)
	$(BIN)/python bench/telegram_fanout.py

# About two minutes: 2,000 messages through the whole bot and a bare bot, per platform (Slack: 3 rounds).
bench-inbound: $(STAMP)
	$(BIN)/python bench/telegram_inbound.py
	$(BIN)/python bench/slack_inbound.py

# About 17 minutes: a nudge to 10,000 Telegram learners while learners write 20 messages/s.
bench-day: $(STAMP)
	$(BIN)/python bench/day.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
