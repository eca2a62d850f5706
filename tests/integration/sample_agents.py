"""In-process AG-UI agents that the integration tests name in their settings (`kind = "python"`), and the
same agents served over HTTP by `agent_server` for `kind = "agui-http"`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallStartEvent,
)


def _last_user_text(run_input: RunAgentInput) -> str:
    for message in reversed(run_input.messages):
        if message.role == "user" and isinstance(message.content, str):
            return message.content
    return ""


class CounterAgent:
    """Counts its turns in its state and says so. What the user says steers it:
    - `color <name>`: calls the frontend action `setColor`; `weather`: calls the backend `getWeather`;
    - `approve?`: a LangGraph-style interrupt, answered on the next request (`command.resume`);
    - `bye`: the `Exit` event; `fail`: RUN_ERROR.
    Its state also records what it was given, for the tests to read back."""

    async def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        thread, run = run_input.thread_id, run_input.run_id
        said = _last_user_text(run_input)
        yield RunStartedEvent(thread_id=thread, run_id=run)
        command = run_input.forwarded_props.get("command") if isinstance(run_input.forwarded_props, dict) else None
        if isinstance(command, dict) and "resume" in command:
            for event in text_events(f"You answered: {command['resume']}"):
                yield event
            yield RunFinishedEvent(thread_id=thread, run_id=run)
            return
        if said == "approve?":
            yield CustomEvent(name="on_interrupt", value={"question": "Proceed with the plan?"})
            yield RunFinishedEvent(thread_id=thread, run_id=run)
            return
        if said == "fail":
            yield RunErrorEvent(message="The counter broke: no more numbers.", code="COUNTER_BROKEN")
            return
        state = run_input.state if isinstance(run_input.state, dict) else {}
        count = int(state.get("count", 0)) + 1
        given = {
            "tools": [tool.name for tool in run_input.tools],
            "props": run_input.forwarded_props,
            "messages": [message.role for message in run_input.messages],
        }
        yield StateSnapshotEvent(snapshot={**state, "count": count, "given": given})
        yield StepStartedEvent(step_name="count")
        yield StateDeltaEvent(delta=[{"op": "add", "path": "/last", "value": said}])
        message_id = f"m-{uuid.uuid4()}"
        yield TextMessageStartEvent(message_id=message_id)
        for part in (f"Count is {count}", "."):
            yield TextMessageContentEvent(message_id=message_id, delta=part)
        yield TextMessageEndEvent(message_id=message_id)
        calls = {"weather": ("getWeather", {"city": "Oslo"})}
        if said.startswith("color "):
            calls[said] = ("setColor", {"color": said.removeprefix("color ")})
        if said in calls:
            for event in tool_call_events(*calls[said], message_id):
                yield event
        yield StepFinishedEvent(step_name="count")
        if said == "bye":
            yield CustomEvent(name="Exit", value=True)
        yield RunFinishedEvent(thread_id=thread, run_id=run)


def text_events(text: str) -> list[BaseEvent]:
    message_id = f"m-{uuid.uuid4()}"
    return [
        TextMessageStartEvent(message_id=message_id),
        TextMessageContentEvent(message_id=message_id, delta=text),
        TextMessageEndEvent(message_id=message_id),
    ]


def tool_call_events(name: str, arguments: dict[str, Any], parent: str) -> list[BaseEvent]:
    call_id = f"call-{uuid.uuid4()}"
    text = json.dumps(arguments)
    return [
        ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name, parent_message_id=parent),
        ToolCallArgsEvent(tool_call_id=call_id, delta=text[:5]),
        ToolCallArgsEvent(tool_call_id=call_id, delta=text[5:]),
        ToolCallEndEvent(tool_call_id=call_id),
    ]


counter = CounterAgent()
COUNTER = "tests.integration.sample_agents:counter"


def python_agent(name: str, description: str = "") -> dict[str, str]:
    """An `[[agents]]` entry for the counter agent in process, for settings built in code."""
    return {"name": name, "description": description, "kind": "python", "import": COUNTER}
