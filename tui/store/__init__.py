"""The reactive store: staged changes, undo, journal, save planner (issue: the store)."""
