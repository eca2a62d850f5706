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

    def overrides(self) -> dict[str, object]:
        """Settings given as flags; they win over the environment and the config file."""
        return {key: value for key, value in (("host", self.host), ("port", self.port)) if value is not None}


Command = ServeCommand


def parse_command(argv: Sequence[str] | None = None) -> Command:
    parser = argparse.ArgumentParser(prog="agui-runtime", description="A Python runtime for CopilotKit frontends.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the runtime over HTTP")
    serve.add_argument("--config", metavar="FILE", help="TOML settings file (default: $AGUI_CONFIG)")
    serve.add_argument("--host", metavar="H", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", metavar="P", type=int, help="port to listen on, 0 for any free one (default 4000)")
    args = parser.parse_args(argv)
    return ServeCommand(config=args.config, host=args.host, port=args.port)
