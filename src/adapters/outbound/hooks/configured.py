"""The request hooks for the runtime's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from agui_runtime.adapters.outbound.hooks.python_hooks import AfterHook, BeforeHook, PythonHooks, load_hook

# At shutdown, after-request hooks still running get this long to finish.
DRAIN_SECONDS = 5.0


@asynccontextmanager
async def open_hooks(before: BeforeHook | None, after: AfterHook | None) -> AsyncIterator[PythonHooks]:
    hooks = PythonHooks(before, after)
    try:
        yield hooks
    finally:
        await hooks.drain(DRAIN_SECONDS)


def choose_hook(given: Callable[..., Any] | None, path: str | None, key: str) -> Callable[..., Any] | None:
    """The hook given in code or named by the setting `key`, not both; ValueError names the setting."""
    if given is not None and path is not None:
        raise ValueError(f"{key}: a hook is given both in code and in the settings; keep one")
    return given if path is None else load_hook(path, key)
