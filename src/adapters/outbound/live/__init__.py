"""Live runs: the in-process channel (one process) and the Redis one (replicas sharing a store)."""

from agui_runtime.adapters.outbound.live.memory import InProcessLiveRuns

__all__ = ["InProcessLiveRuns"]
