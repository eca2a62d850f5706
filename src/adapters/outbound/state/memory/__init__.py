"""A thread store that lives in the process (tests, and deployments that keep nothing)."""

from agui_runtime.adapters.outbound.state.memory.store import InMemoryThreadStore

__all__ = ["InMemoryThreadStore"]
