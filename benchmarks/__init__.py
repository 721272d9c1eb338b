"""The benchmark suite: `uv run python -m benchmarks [--quick] [--json PATH]` (see __main__).

The older scripts (adapters.py, cli_status.py, ledger_pages.py, store.py) still run on
their own for a detailed printout; the suite reuses their pieces."""
