"""The `timesheet` command and `python -m tui`."""

import gc


def main() -> None:
    # A command's start-up creates tens of thousands of objects that live as long as the
    # process (modules, classes, schemas), and the collector would walk them again and
    # again while they load: about 40 ms of `timesheet status`. It stays off until the
    # command has loaded what it needs (`tui.startup.startup_done`).
    gc.disable()
    from tui.cli import main as cli

    try:
        cli(prog_name="timesheet")
    except SystemExit as done:
        from tui.cli.context import exit_at_once

        exit_at_once(done.code)  # a scripting command that ran: no teardown
        raise


if __name__ == "__main__":
    main()
