# Two commands: `make run` (the bot: Discord when DISCORD_TOKEN is set, else console mode) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint index clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# With DISCORD_TOKEN set: the Discord bot. Without: console mode (indexes the samples on first run).
run: $(STAMP)
	@if [ -n "$$DISCORD_TOKEN" ]; then $(BIN)/citebot run; else $(BIN)/citebot chat; fi

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

index: $(STAMP)
	$(BIN)/citebot index

clean:
	rm -rf $(VENV) data
