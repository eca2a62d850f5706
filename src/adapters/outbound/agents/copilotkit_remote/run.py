"""One agent of a legacy endpoint run through `/agents/execute`: the run's request in the endpoint's
shape (an interrupt's answer, from either protocol, as the `LangGraphInterruptEvent` meta event), and its
LangGraph lines as AG-UI events between a run start and a run finish, so a remote agent takes the same
path as every other agent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ag_ui.core import RunFinishedEvent, RunStartedEvent

from agui_runtime.adapters.outbound.agents.configured import AguiAgent
from agui_runtime.adapters.outbound.agents.copilotkit_remote.langgraph import LangGraphEvents
from agui_runtime.adapters.outbound.agents.copilotkit_remote.wire import legacy_messages
from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.ports import AgentRunRequest
from agui_runtime.application.streams import closed_after
from agui_runtime.domain.json import JsonObject, JsonValue

# What ag-ui-langgraph resumes a graph with for a cancelled interrupt and for several answers at once, so a
# graph gets the same value behind either server.
CANCELLED = "__agui_cancelled__"
ANSWERS = "__agui_resume_map__"

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
        answer = interrupt_answer(request)
        if answer is not None:
            body["metaEvents"] = [answer]
        translator = LangGraphEvents(self._name)
        yield RunStartedEvent(thread_id=request.thread_id, run_id=request.run_id)
        async with closed_after(self._endpoint.run_agent(body, request.request.headers)) as lines:
            async for line in lines:
                for event in translator.translate(line):
                    yield event
        for event in translator.close():
            yield event
        yield RunFinishedEvent(thread_id=request.thread_id, run_id=request.run_id)


def interrupt_answer(request: AgentRunRequest) -> JsonObject | None:
    """The meta event the SDK resumes an interrupted graph from: it reads `response` alone
    (`Command(resume=response)`) and, without one, resumes the graph with the turn's new messages.
    - v1: the client's own meta event's `response` (a string, as sent).
    - v2: the run's `resume[]` entries (one resolved: its payload; one cancelled or several: the values
      ag-ui-langgraph resumes with); else the older `forwardedProps.command.resume` (its `interruptEvent`,
      the interrupt's value, as `value`). A v2 answer that is not a string goes as JSON, as sent."""
    if request.resume is not None:
        return {"name": "LangGraphInterruptEvent", "value": "", "response": request.resume}
    response: JsonValue
    entries = request.resume_entries
    if len(entries) == 1:
        [entry] = entries
        if entry.get("status") == "cancelled":
            response = {CANCELLED: True, "interrupt_id": entry.get("interruptId")}
        else:
            response = entry.get("payload")
        return {"name": "LangGraphInterruptEvent", "value": "", "response": response}
    if entries:
        answers: JsonObject = {
            str(entry.get("interruptId")): {"status": entry.get("status"), "payload": entry.get("payload")}
            for entry in entries
        }
        return {"name": "LangGraphInterruptEvent", "value": "", "response": {ANSWERS: answers}}
    command = request.request.properties.get("command")
    if isinstance(command, dict) and command.get("resume") is not None:
        value = command.get("interruptEvent")
        text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
        return {"name": "LangGraphInterruptEvent", "value": text, "response": command["resume"]}
    return None
