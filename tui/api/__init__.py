"""API adapters: the Backend protocol, Productive and Plannr (issue: API adapters)."""
