"""Backend actions: Python callables the runtime offers to the model and executes itself."""

from agui_runtime.adapters.outbound.actions.registry import (
    BackendAction,
    PythonActionRegistry,
    backend_action,
    load_action,
)

__all__ = ["BackendAction", "PythonActionRegistry", "backend_action", "load_action"]
