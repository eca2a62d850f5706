"""The agent the benchmark names in `loadAgentState` (`bench_agent`): it exists so the query finds it, as
an agent registered with the reference runtime does; the scenario reads threads and never runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ag_ui.core import BaseEvent, RunAgentInput, RunFinishedEvent, RunStartedEvent


class BenchAgent:
    async def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        yield RunStartedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)
        yield RunFinishedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)


agent = BenchAgent()
