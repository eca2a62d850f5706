"""The `agui-runtime` command line: `serve` (one process, or pre-forked workers) and `db upgrade`."""

from agui_runtime.adapters.inbound.cli.commands import Command, DbUpgradeCommand, ServeCommand, parse_command
from agui_runtime.adapters.inbound.cli.main import Entry, Options, run
from agui_runtime.adapters.inbound.cli.serving import StopRuns, serve

__all__ = [
    "Command",
    "DbUpgradeCommand",
    "Entry",
    "Options",
    "ServeCommand",
    "StopRuns",
    "parse_command",
    "run",
    "serve",
]
