"""Messages and run events to and from JSON-compatible values: the bodies of stored messages, the stored
events of a run, and the events a live run passes between replicas."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from agui_runtime.domain import events as run_events
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import (
    ActionExecutionMessage,
    ActivityMessage,
    AgentStateMessage,
    ImageMessage,
    Message,
    MessageStatus,
    ReasoningMessage,
    ResultMessage,
    Role,
    TextMessage,
)


def encode(message: Message) -> tuple[str, JsonObject]:
    """(kind, body) of a message; `created_at` and the id have their own columns."""
    body: JsonObject = {"status": message.status.value}
    match message:
        case TextMessage():
            body |= {"role": message.role.value, "content": message.content, "parent": message.parent_message_id}
            return "text", body
        case ActionExecutionMessage():
            body |= {"name": message.name, "arguments": message.arguments, "parent": message.parent_message_id}
            return "action", body
        case ResultMessage():
            body |= {
                "actionExecutionId": message.action_execution_id,
                "actionName": message.action_name,
                "result": message.result,
                "parent": message.parent_message_id,
            }
            return "result", body
        case AgentStateMessage():
            body |= {
                "threadId": message.thread_id,
                "agentName": message.agent_name,
                "nodeName": message.node_name,
                "runId": message.run_id,
                "active": message.active,
                "running": message.running,
                "state": message.state,
                "role": message.role.value,
            }
            return "agent_state", body
        case ImageMessage():
            body |= {"role": message.role.value, "format": message.format, "bytes": message.bytes}
            body["parent"] = message.parent_message_id
            return "image", body
        case ReasoningMessage():
            body |= {
                "content": message.content,
                "encryptedValue": message.encrypted_value,
                "parent": message.parent_message_id,
                "subagentRunId": message.subagent_run_id,
            }
            return "reasoning", body
        case ActivityMessage():
            body |= {
                "activityType": message.activity_type,
                "content": message.content,
                "subagentRunId": message.subagent_run_id,
            }
            return "activity", body


def decode(message_id: str, kind: str, created_at: datetime, body: dict[str, Any]) -> Message:
    status = MessageStatus(body.get("status", "success"))
    common: dict[str, Any] = {"id": message_id, "created_at": created_at, "status": status}
    if kind == "text":
        role = Role(body["role"])
        return TextMessage(**common, role=role, content=body["content"], parent_message_id=body.get("parent"))
    if kind == "action":
        return ActionExecutionMessage(
            **common, name=body["name"], arguments=body["arguments"], parent_message_id=body.get("parent")
        )
    if kind == "result":
        return ResultMessage(
            **common,
            action_execution_id=body["actionExecutionId"],
            action_name=body["actionName"],
            result=body["result"],
            parent_message_id=body.get("parent"),
        )
    if kind == "agent_state":
        return AgentStateMessage(
            **common,
            thread_id=body["threadId"],
            agent_name=body["agentName"],
            node_name=body["nodeName"],
            run_id=body["runId"],
            active=body["active"],
            running=body["running"],
            state=body["state"],
            role=Role(body["role"]),
        )
    if kind == "reasoning":
        return ReasoningMessage(
            **common,
            content=body.get("content", ""),
            encrypted_value=body.get("encryptedValue"),
            parent_message_id=body.get("parent"),
            subagent_run_id=body.get("subagentRunId"),
        )
    if kind == "activity":
        return ActivityMessage(
            **common,
            activity_type=body["activityType"],
            content=body.get("content", {}),
            subagent_run_id=body.get("subagentRunId"),
        )
    return ImageMessage(
        **common,
        role=Role(body["role"]),
        format=body["format"],
        bytes=body["bytes"],
        parent_message_id=body.get("parent"),
    )


def encode_message(message: Message) -> JsonObject:
    """A whole message (id and time included) as one JSON object."""
    kind, body = encode(message)
    return {"id": message.id, "kind": kind, "createdAt": message.created_at.isoformat(), "body": body}


def decode_message(value: dict[str, Any]) -> Message:
    return decode(value["id"], value["kind"], datetime.fromisoformat(value["createdAt"]), value["body"])


_EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        run_events.RunStarted,
        run_events.TextMessageStarted,
        run_events.TextMessageChunk,
        run_events.TextMessageEnded,
        run_events.ToolCallStarted,
        run_events.ToolCallArgs,
        run_events.ToolCallEnded,
        run_events.ToolCallResult,
        run_events.StateSnapshot,
        run_events.StateDelta,
        run_events.StepStarted,
        run_events.StepFinished,
        run_events.CustomEvent,
        run_events.ReasoningStarted,
        run_events.ReasoningMessageStarted,
        run_events.ReasoningMessageChunk,
        run_events.ReasoningMessageEnded,
        run_events.ReasoningEnded,
        run_events.ReasoningEncryptedValue,
        run_events.ActivitySnapshot,
        run_events.ActivityDelta,
        run_events.RelayedEvent,
        run_events.AgentStateChanged,
        run_events.RunFinished,
        run_events.RunFailed,
    )
}


def encode_event(event: run_events.RunEvent) -> JsonObject:
    """`{"type": <event class>, <field>: <value>...}`; a role is its value, input messages are encoded."""
    encoded: JsonObject = {"type": type(event).__name__}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if item.name == "input_messages":
            value = [encode_message(message) for message in value]
        elif isinstance(value, Role):
            value = value.value
        encoded[item.name] = value
    return encoded


def decode_event(value: dict[str, Any]) -> run_events.RunEvent:
    """The event `encode_event` gave; raises ValueError for a type or field it does not know."""
    cls = _EVENT_TYPES.get(str(value.get("type")))
    if cls is None:
        raise ValueError(f"unknown run event type {value.get('type')!r}")
    fields = {key: item for key, item in value.items() if key != "type"}
    if "input_messages" in fields:
        fields["input_messages"] = tuple(decode_message(message) for message in fields["input_messages"])
    if "role" in fields:
        fields["role"] = Role(fields["role"])
    try:
        event: run_events.RunEvent = cls(**fields)
    except TypeError as exc:
        raise ValueError(f"run event {cls.__name__}: {exc}") from exc
    return event
