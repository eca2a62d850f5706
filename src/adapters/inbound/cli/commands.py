"""Parse `agui-runtime` arguments into a command; the composition root carries it out."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServeCommand:
    config: str | None = None
    host: str | None = None
    port: int | None = None
    workers: int | None = None

    def overrides(self) -> dict[str, object]:
        """Settings given as flags; they win over the environment and the config file."""
        flags = (("host", self.host), ("port", self.port), ("workers", self.workers))
        return {key: value for key, value in flags if value is not None}


@dataclass(frozen=True, slots=True)
class DbUpgradeCommand:
    """Bring the SQL store's schema up to date (for deployments with `migrate_on_start = false`)."""

    config: str | None = None

    def overrides(self) -> dict[str, object]:
        return {}


Command = ServeCommand | DbUpgradeCommand


def parse_command(argv: Sequence[str] | None = None) -> Command:
    parser = argparse.ArgumentParser(prog="agui-runtime", description="A Python runtime for CopilotKit frontends.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the runtime over HTTP")
    serve.add_argument("--config", metavar="FILE", help="TOML settings file (default: $AGUI_CONFIG)")
    serve.add_argument("--host", metavar="H", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", metavar="P", type=int, help="port to listen on, 0 for any free one (default 4000)")
    serve.add_argument("--workers", metavar="N", type=int, help="worker processes, one event loop each (default 1)")
    db = commands.add_parser("db", help="manage the SQL state store")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply the schema migrations to state_store_url")
    upgrade.add_argument("--config", metavar="FILE", help="TOML settings file (default: $AGUI_CONFIG)")
    args = parser.parse_args(argv)
    if args.command == "db":
        return DbUpgradeCommand(config=args.config)
    return ServeCommand(config=args.config, host=args.host, port=args.port, workers=args.workers)
