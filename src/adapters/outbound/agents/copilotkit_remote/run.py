"""One agent of a legacy endpoint run through `/agents/execute`: the run's request in the endpoint's
shape, and its LangGraph lines as AG-UI events between a run start and a run finish, so a remote
agent takes the same path as every other agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ag_ui.core import RunFinishedEvent, RunStartedEvent

from agui_runtime.adapters.outbound.agents.configured import AguiAgent
from agui_runtime.adapters.outbound.agents.copilotkit_remote.langgraph import LangGraphEvents
from agui_runtime.adapters.outbound.agents.copilotkit_remote.wire import legacy_messages
from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.ports import AgentRunRequest
from agui_runtime.application.streams import closed_after

if TYPE_CHECKING:  # the endpoint builds its agents: a run-time import would be circular
    from agui_runtime.adapters.outbound.agents.copilotkit_remote.client import RemoteEndpoint


class RemoteAgent(AguiAgent):
    """One agent of a remote endpoint."""

    def __init__(self, endpoint: RemoteEndpoint, name: str) -> None:
        self._endpoint = endpoint
        self._name = name

    async def events(self, request: AgentRunRequest) -> AsyncIterator[Any]:
        kind = (await self._endpoint.info()).agent_types.get(self._name, "langgraph")
        if kind != "langgraph":
            raise UpstreamError(f"Agent '{self._name}' is of type '{kind}', which this runtime cannot run.")
        body: dict[str, Any] = {
            "name": self._name,
            "threadId": request.thread_id,
            "messages": legacy_messages(request.messages),
            "state": request.state,
            "config": request.config,
            "properties": request.request.properties,
            "actions": [
                {"name": t.name, "description": t.description, "parameters": t.parameters} for t in request.tools
            ],
        }
        if request.node_name:
            body["nodeName"] = request.node_name
        if request.resume is not None:
            body["metaEvents"] = [{"name": "LangGraphInterruptEvent", "value": "", "response": request.resume}]
        translator = LangGraphEvents(self._name)
        yield RunStartedEvent(thread_id=request.thread_id, run_id=request.run_id)
        async with closed_after(self._endpoint.run_agent(body, request.request.headers)) as lines:
            async for line in lines:
                for event in translator.translate(line):
                    yield event
        for event in translator.close():
            yield event
        yield RunFinishedEvent(thread_id=request.thread_id, run_id=request.run_id)
