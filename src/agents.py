"""Helpers for agents that run in the runtime's process.

`PydanticAIAgent` wraps a pydantic-ai `Agent`; it needs the `pydantic-ai` extra
(`pip install 'agui-runtime[pydantic-ai]'`) only when it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agui_runtime.adapters.outbound.agents.pydantic_ai import PydanticAIAgent

__all__ = ["PydanticAIAgent"]


def __getattr__(name: str) -> Any:
    if name == "PydanticAIAgent":
        from agui_runtime.adapters.outbound.agents.pydantic_ai import PydanticAIAgent

        return PydanticAIAgent
    raise AttributeError(f"module 'agui_runtime.agents' has no attribute {name!r}")
