"""agui-runtime: a Python runtime for CopilotKit frontends, both protocols at one URL.

The names below are the public API; everything else is internal unless the docs name it. They are loaded
on first use, so importing a submodule (or `python -m agui_runtime --help`) does not pull in the whole
runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agui_runtime.adapters.outbound.actions import BackendAction, backend_action
    from agui_runtime.adapters.settings import Settings, SettingsError, load_settings
    from agui_runtime.application.errors import RequestRejected
    from agui_runtime.application.requests import AfterRequest, BeforeRequest, RequestContext
    from agui_runtime.bootstrap import create_app, mount

__all__ = [
    "AfterRequest",
    "BackendAction",
    "BeforeRequest",
    "RequestContext",
    "RequestRejected",
    "Settings",
    "SettingsError",
    "backend_action",
    "create_app",
    "load_settings",
    "mount",
]

_HOMES = {
    "AfterRequest": "agui_runtime.application.requests",
    "BackendAction": "agui_runtime.adapters.outbound.actions",
    "BeforeRequest": "agui_runtime.application.requests",
    "RequestContext": "agui_runtime.application.requests",
    "RequestRejected": "agui_runtime.application.errors",
    "Settings": "agui_runtime.adapters.settings",
    "SettingsError": "agui_runtime.adapters.settings",
    "backend_action": "agui_runtime.adapters.outbound.actions",
    "create_app": "agui_runtime.bootstrap",
    "load_settings": "agui_runtime.adapters.settings",
    "mount": "agui_runtime.bootstrap",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agui_runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
