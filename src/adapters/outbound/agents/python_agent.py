"""An agent in this process: any object with `run(input: RunAgentInput)` returning an async iterator of
AG-UI events (the shape of ag-ui-langgraph's `LangGraphAgent`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ag_ui.core import BaseEvent
from pydantic import ValidationError

from agui_runtime.adapters.agui_wire import EVENT_ADAPTER, AgentProtocolError, run_agent_input
from agui_runtime.adapters.importing import import_object
from agui_runtime.adapters.outbound.agents.configured import AguiAgent
from agui_runtime.application.ports import AgentRunRequest
from agui_runtime.application.streams import closed_after


def load_python_agent(name: str, path: str) -> Any:
    """The object at `module:attribute`; ValueError when it is missing or has no `run` method."""
    target = import_object(path, f"agent '{name}'")
    if not callable(getattr(target, "run", None)):
        raise ValueError(f"agent '{name}': '{path}' has no run(input) method")
    return target


class PythonAgent(AguiAgent):
    def __init__(self, name: str, target: Any) -> None:
        self._name = name
        self._target = target

    async def events(self, request: AgentRunRequest) -> AsyncIterator[Any]:
        run_input = run_agent_input(request)
        async with closed_after(self._target.run(run_input)) as events:
            async for event in events:
                if isinstance(event, BaseEvent):
                    yield event
                    continue
                try:
                    yield EVENT_ADAPTER.validate_python(event)
                except ValidationError as exc:
                    raise AgentProtocolError(
                        self._name, f"a {type(event).__name__} that is not an AG-UI event"
                    ) from exc
