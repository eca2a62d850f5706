"""Runs in flight: through Redis when replicas share them, else in this process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from agui_runtime.adapters.outbound.live.memory import InProcessLiveRuns
from agui_runtime.application.ports import LiveRuns

logger = logging.getLogger("agui_runtime")


class LiveRunsSettings(Protocol):
    @property
    def live_runs_url(self) -> str | None: ...
    @property
    def live_runs_prefix(self) -> str: ...
    @property
    def live_runs_claim_seconds(self) -> float: ...
    @property
    def workers(self) -> int: ...


@asynccontextmanager
async def open_live_runs(settings: LiveRunsSettings) -> AsyncIterator[LiveRuns]:
    if settings.live_runs_url is None:
        if settings.workers > 1:
            logger.warning(
                "workers > 1 without live_runs_url: a v2 run can be connected to or stopped only from the worker "
                "that runs it; set AGUI_LIVE_RUNS_URL to a Redis URL"
            )
        yield InProcessLiveRuns()
        return
    from agui_runtime.adapters.outbound.live.redis_channel import open_redis_live_runs  # redis only when used

    async with open_redis_live_runs(
        settings.live_runs_url, settings.live_runs_prefix, claim_seconds=settings.live_runs_claim_seconds
    ) as live:
        yield live
