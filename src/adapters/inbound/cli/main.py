"""`agui-runtime serve | db upgrade`: what each command does, with the runtime handed in by the composition root."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agui_runtime.adapters.inbound.cli.commands import DbUpgradeCommand, ServeCommand, parse_command
from agui_runtime.adapters.inbound.cli.serving import ServeOptions, StopRuns, serve
from agui_runtime.adapters.inbound.cli.workers import bind, supervise
from agui_runtime.adapters.observability import configure_logging
from agui_runtime.application.errors import UpstreamUnavailable


class Options(ServeOptions, Protocol):
    """The settings the commands read."""

    @property
    def workers(self) -> int: ...
    @property
    def migrate_on_start(self) -> bool: ...
    @property
    def state_store_url(self) -> str: ...
    @property
    def store_kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """What the composition root gives the command line. `worker` (`module:function`) is imported and
    called in each spawned worker process with the serve command and the bound socket."""

    load: Callable[[str | None, Mapping[str, object]], Options]
    build: Callable[[Options], tuple[Any, StopRuns]]
    upgrade: Callable[[Options], Awaitable[None]]
    worker: str
    settings_errors: tuple[type[Exception], ...]


def run(entry: Entry, argv: Sequence[str] | None = None) -> int:
    """Carry out the command in `argv`; the process's exit code."""
    command = parse_command(argv)
    try:
        options = entry.load(command.config, command.overrides())
        if isinstance(command, DbUpgradeCommand):
            return asyncio.run(upgrade(entry, options))
        if options.workers > 1:
            return serve_workers(entry, command, options)
        app, stop_runs = entry.build(options)
    except entry.settings_errors as exc:
        for line in str(exc).splitlines():
            print(f"agui-runtime: {line}", file=sys.stderr)
        return 2
    serve(app, stop_runs, options)
    return 0


def serve_workers(entry: Entry, command: ServeCommand, options: Options) -> int:
    """The schema is migrated here, once, before any worker starts; the workers are told the bound port
    (the flag may have said 0) and not to migrate again."""
    configure_logging(options.log_level, options.log_format)
    if options.migrate_on_start:
        code = asyncio.run(upgrade(entry, options, quiet=True))
        if code:
            return code
    sock = bind(options.host, options.port)
    worker_command = dataclasses.replace(command, port=sock.getsockname()[1])
    return supervise(entry.worker, (worker_command,), sock, options.workers, options.shutdown_grace_seconds)


async def upgrade(entry: Entry, options: Options, *, quiet: bool = False) -> int:
    """`db upgrade`: bring the SQL schema to its head."""
    kind = options.store_kind
    if kind == "memory":
        print("agui-runtime: state_store_url is memory://: there is no schema to upgrade", file=sys.stderr)
        return 2
    try:
        await entry.upgrade(options)
    except UpstreamUnavailable as exc:
        print(f"agui-runtime: {exc.message}", file=sys.stderr)
        return 1
    if not quiet:
        print(f"agui-runtime: the schema of the {kind} store is up to date")
    return 0
