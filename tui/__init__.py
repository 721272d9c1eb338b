"""timesheet: log and approve time from the terminal."""
