"""The legacy endpoints' wire shapes: CopilotKit `Parameter[]` lists, messages told apart by `type`, and
the replies of `/info`, `/actions/execute` and `/agents/state`. Kept apart from the client so the
conversions are plain functions of JSON, testable without HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agui_runtime.application.ports import ExternalAgentState
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.json import JsonObject, JsonValue
from agui_runtime.domain.messages import ActionExecutionMessage, Message, ResultMessage, TextMessage
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition


@dataclass(frozen=True, slots=True)
class RemoteInfo:
    """What `/info` lists: the agents (with their kind, `langgraph` unless said) and the actions."""

    agents: tuple[AgentDescriptor, ...]
    agent_types: dict[str, str] = field(default_factory=dict)
    actions: tuple[ToolDefinition, ...] = ()


def parameters_schema(parameters: object) -> JsonObject:
    """CopilotKit `Parameter[]` as a JSON Schema object (the client's and the SDK's own rules)."""
    properties: JsonObject = {}
    required: list[JsonValue] = []
    for parameter in parameters if isinstance(parameters, list) else []:
        if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
            properties[parameter["name"]] = _parameter_schema(parameter)
            if parameter.get("required") is not False:
                required.append(parameter["name"])
    return {"type": "object", "properties": properties, "required": required}


def _parameter_schema(parameter: dict[str, Any]) -> JsonObject:
    kind = parameter.get("type")
    description = str(parameter.get("description") or "")
    if kind in ("object", "object[]"):
        inner = parameters_schema(parameter.get("attributes"))
        if kind == "object":
            return {**inner, "description": description}
        return {"type": "array", "items": inner, "description": description}
    if isinstance(kind, str) and kind.endswith("[]") and kind[:-2] in ("string", "number", "boolean"):
        return {"type": "array", "items": {"type": kind[:-2]}, "description": description}
    if kind in ("number", "boolean"):
        return {"type": kind, "description": description}
    schema: JsonObject = {"type": "string", "description": description}
    if isinstance(parameter.get("enum"), list):
        schema["enum"] = [str(value) for value in parameter["enum"]]
    return schema


def tool_definition(item: dict[str, Any]) -> ToolDefinition:
    """One action of `/info` (a dict with a `name`) as a tool."""
    return ToolDefinition(item["name"], str(item.get("description") or ""), parameters_schema(item.get("parameters")))


def read_info(reply: Any) -> RemoteInfo:
    """The `/info` reply; agents and actions without a name are skipped."""
    agents = reply.get("agents") if isinstance(reply, dict) else None
    descriptors, types = [], {}
    for item in agents if isinstance(agents, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            descriptors.append(AgentDescriptor(item["name"], str(item.get("description") or "")))
            types[item["name"]] = str(item.get("type") or "langgraph")
    actions = reply.get("actions") if isinstance(reply, dict) else None
    tools = tuple(
        tool_definition(item)
        for item in (actions if isinstance(actions, list) else [])
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
    )
    return RemoteInfo(tuple(descriptors), types, tools)


def read_action_result(reply: Any) -> ActionOutcome:
    """The `/actions/execute` reply: a string result as it is, anything else as compact JSON."""
    result = reply.get("result") if isinstance(reply, dict) else None
    if isinstance(result, str):
        return ActionOutcome(result=result)
    return ActionOutcome(result="" if result is None else json.dumps(result, ensure_ascii=False, separators=(",", ":")))


def read_state(reply: dict[str, Any]) -> ExternalAgentState:
    """The `/agents/state` reply (an object); fields of the wrong shape read as empty."""
    state, messages = reply.get("state"), reply.get("messages")
    return ExternalAgentState(
        thread_exists=bool(reply.get("threadExists")),
        state=state if isinstance(state, dict) else {},
        messages=tuple(m for m in messages if isinstance(m, dict)) if isinstance(messages, list) else (),
    )


def legacy_messages(messages: tuple[Message, ...]) -> list[JsonObject]:
    """Messages in the form the remote endpoints read (`type` tells the kinds apart)."""
    converted: list[JsonObject] = []
    for message in messages:
        item: JsonObject = {"id": message.id, "createdAt": message.created_at.isoformat()}
        match message:
            case TextMessage():
                item |= {"type": "TextMessage", "content": message.content, "role": message.role.value}
            case ActionExecutionMessage():
                item |= {"type": "ActionExecutionMessage", "name": message.name, "arguments": message.arguments}
            case ResultMessage():
                item |= {
                    "type": "ResultMessage",
                    "actionExecutionId": message.action_execution_id,
                    "actionName": message.action_name,
                    "result": message.result,
                }
            case _:
                continue
        parent = getattr(message, "parent_message_id", None)
        if parent:
            item["parentMessageId"] = parent
        converted.append(item)
    return converted
