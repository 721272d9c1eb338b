"""The local ledger: SQLite behind a real HTTP API in the Productive and Plannr dialects."""
