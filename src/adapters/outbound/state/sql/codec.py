"""Messages to and from the JSON body of a `messages` row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.json import JsonObject
from domain.messages import (
    ActionExecutionMessage,
    AgentStateMessage,
    ImageMessage,
    Message,
    MessageStatus,
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
    return ImageMessage(
        **common,
        role=Role(body["role"]),
        format=body["format"],
        bytes=body["bytes"],
        parent_message_id=body.get("parent"),
    )
