"""A pydantic-ai agent as an in-process AG-UI agent (`kind = "python"`).

pydantic-ai's AG-UI adapter takes one `RunAgentInput` per run and yields AG-UI events, but is built per
run (`AGUIAdapter(agent, run_input).run_stream(deps=...)`) rather than being an object with `run(input)`.
This wrapper gives it that shape. Install with the `pydantic-ai` extra."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from ag_ui.core import BaseEvent, RunAgentInput

from agui_runtime.application.streams import closed_after


class PydanticAIAgent:
    """`agent`: a `pydantic_ai.Agent`. `deps`: makes the dependencies of one run; for shared state give
    a `pydantic_ai.ui.StateDeps` (the adapter fills its `.state` from the run's state, and the agent's
    tools send it back with `StateSnapshotEvent`s). A fresh value per run: the adapter writes into it."""

    def __init__(self, agent: Any, deps: Callable[[], Any] | None = None) -> None:
        self._agent = agent
        self._deps = deps

    async def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        from pydantic_ai.ui.ag_ui import AGUIAdapter  # optional dependency: only needed when used

        adapter = AGUIAdapter(agent=self._agent, run_input=run_input)
        # A client that left ends pydantic-ai's run now, not at garbage collection.
        async with closed_after(adapter.run_stream(deps=self._deps() if self._deps is not None else None)) as events:
            async for event in events:
                yield event
