"""Request hooks given as Python callables."""

from agui_runtime.adapters.outbound.hooks.configured import choose_hook, open_hooks
from agui_runtime.adapters.outbound.hooks.python_hooks import AfterHook, BeforeHook, PythonHooks, load_hook

__all__ = ["AfterHook", "BeforeHook", "PythonHooks", "choose_hook", "load_hook", "open_hooks"]
