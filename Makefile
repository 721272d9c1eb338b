# The gate: `make check` runs what CI runs (.ci/run calls it after installing uv).
# Each step stops the run on failure; `make fix` applies ruff's fixes and formatting.
.PHONY: check lint format types test fix

check: lint format types test

lint:
	uv run --locked ruff check .

format:
	uv run --locked ruff format --check .

types:
	uv run --locked mypy

# The README's test command.
test:
	uv run --locked pytest

fix:
	uv run --locked ruff check --fix .
	uv run --locked ruff format .
