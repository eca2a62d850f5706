"""`RequestHooks` over the user's `on_before_request` / `on_after_request` callables, sync or async.

A sync hook runs in a worker thread, so one that looks up a database never holds up other requests.
`on_after_request` runs as a background task: the response never waits for it, and its failures are
logged (type and message, never the report's contents) and dropped."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from agui_runtime.adapters.importing import import_object
from agui_runtime.application.errors import ApplicationError, RequestRejected
from agui_runtime.application.ports import RequestHooks
from agui_runtime.application.requests import AfterRequest, BeforeRequest
from agui_runtime.domain.errors import ErrorCode

logger = logging.getLogger("agui_runtime.hooks")

BeforeHook = Callable[[BeforeRequest], Any]
AfterHook = Callable[[AfterRequest], Any]

HOOK_FAILED = "The request could not be checked (on_before_request failed); the server log has the details."


def load_hook(path: str, what: str) -> Callable[..., Any]:
    """The callable at `module:attribute`; ValueError when it is missing or not callable."""
    target = import_object(path, what)
    if not callable(target):
        raise ValueError(f"{what}: '{path}' is not callable")
    return target


async def _call(hook: Callable[..., Any], argument: object) -> Any:
    if inspect.iscoroutinefunction(hook):
        return await hook(argument)
    value = await asyncio.to_thread(hook, argument)
    return await value if inspect.isawaitable(value) else value


class PythonHooks(RequestHooks):
    def __init__(self, before: BeforeHook | None = None, after: AfterHook | None = None) -> None:
        self._before = before
        self._after = after
        self._pending: set[asyncio.Task[None]] = set()

    async def before_request(self, request: BeforeRequest) -> str | None:
        if self._before is None:
            return None
        try:
            principal = await _call(self._before, request)
        except RequestRejected as rejection:
            logger.info("%s refused by on_before_request: %s", request.operation, rejection.code)
            raise
        except ApplicationError:
            raise
        except Exception as exc:
            logger.error("on_before_request raised %s: %s", type(exc).__name__, exc)
            raise RequestRejected(HOOK_FAILED, code=ErrorCode.UNKNOWN) from exc
        if principal is not None and (not isinstance(principal, str) or not principal):
            logger.error("on_before_request returned a %s; it must return a principal (str) or None", type(principal))
            raise RequestRejected(HOOK_FAILED, code=ErrorCode.UNKNOWN)
        return principal

    def after_request(self, report: AfterRequest) -> None:
        if self._after is None:
            return
        task = asyncio.get_running_loop().create_task(self._run_after(self._after, report))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _run_after(hook: AfterHook, report: AfterRequest) -> None:
        try:
            await _call(hook, report)
        except Exception as exc:
            logger.error("on_after_request raised %s: %s (thread %s)", type(exc).__name__, exc, report.thread_id)

    async def drain(self, timeout_seconds: float) -> None:
        """Wait up to `timeout_seconds` for after-request hooks still running (at shutdown)."""
        if self._pending:
            _, late = await asyncio.wait(set(self._pending), timeout=timeout_seconds)
            for task in late:
                task.cancel()
            if late:
                logger.warning("%d on_after_request call(s) did not finish before shutdown", len(late))
