"""(Being written.)"""

import click

COMMANDS: list[click.Command] = []
