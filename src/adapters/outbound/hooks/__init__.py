"""Request hooks given as Python callables."""

from agui_runtime.adapters.outbound.hooks.python_hooks import PythonHooks, load_hook

__all__ = ["PythonHooks", "load_hook"]
