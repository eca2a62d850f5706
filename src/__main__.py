"""`python -m agui_runtime` and the `agui-runtime` command: the command line, given the runtime to run."""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from typing import Any, cast

from agui_runtime.adapters.inbound import cli
from agui_runtime.adapters.outbound.state.sql import open_sql_store
from agui_runtime.adapters.outbound.system import SystemClock
from agui_runtime.adapters.settings import Settings, SettingsError, load_settings
from agui_runtime.bootstrap import build


async def _upgrade_schema(settings: cli.Options) -> None:
    async with open_sql_store(settings.state_store_url, SystemClock(), migrate=True):
        pass


def _build(settings: cli.Options) -> tuple[Any, cli.StopRuns]:
    app, runtime = build(cast(Settings, settings))
    return app, runtime.stop_runs


def worker(command: cli.ServeCommand, sock: socket.socket) -> bool:
    """One worker process of `serve --workers N` (spawned): its own settings, container and app."""
    settings = load_settings(config_file=command.config, overrides={**command.overrides(), "migrate_on_start": False})
    app, runtime = build(settings)
    return cli.serve(app, runtime.stop_runs, settings, sock)


def main(argv: Sequence[str] | None = None) -> int:
    """`agui-runtime serve [--config FILE] [--host H] [--port P] [--workers N]` or
    `agui-runtime db upgrade [--config FILE]`."""
    entry = cli.Entry(
        load=lambda config, overrides: load_settings(config_file=config, overrides=overrides),
        build=_build,
        upgrade=_upgrade_schema,
        worker="agui_runtime.__main__:worker",
        settings_errors=(SettingsError,),
    )
    return cli.run(entry, argv)


if __name__ == "__main__":
    sys.exit(main())
