"""Translation between domain objects and the contract's types, in one place."""

from __future__ import annotations

import json
from collections.abc import Iterable

from adapters.inbound.graphql.outputs import Agent, AgentsResponse, LoadAgentStateResponse
from adapters.inbound.graphql.scalars import serialize_datetime
from application.use_cases.load_agent_state import AgentStateView
from domain.agents import AgentDescriptor
from domain.json import JsonObject
from domain.messages import (
    ActionExecutionMessage,
    AgentStateMessage,
    ImageMessage,
    Message,
    MessageStatus,
    ResultMessage,
    TextMessage,
)


def agents_response(agents: Iterable[AgentDescriptor]) -> AgentsResponse:
    return AgentsResponse(
        agents=[Agent(id=agent.id, name=agent.name, description=agent.description) for agent in agents]
    )


def load_state_response(view: AgentStateView) -> LoadAgentStateResponse:
    return LoadAgentStateResponse(
        thread_id=view.thread_id,
        thread_exists=view.thread_exists,
        state=_json(view.state),
        messages=_json([legacy_message(message) for message in view.messages]),
    )


def legacy_message(message: Message) -> JsonObject:
    """A message in the JSON form the client's `loadMessagesFromJsonRepresentation` reads: it tells the
    kinds apart by their keys (`content`, `arguments`, `result`, `state`, `format` + `bytes`)."""
    item: JsonObject = {"id": message.id, "createdAt": serialize_datetime(message.created_at)}
    match message:
        case TextMessage():
            item |= {"role": message.role.value, "content": message.content}
            _add_parent(item, message.parent_message_id)
        case ActionExecutionMessage():
            item |= {"name": message.name, "arguments": message.arguments}
            _add_parent(item, message.parent_message_id)
        case ResultMessage():
            item |= {
                "result": message.result,
                "actionExecutionId": message.action_execution_id,
                "actionName": message.action_name,
            }
        case AgentStateMessage():
            item |= {
                "threadId": message.thread_id,
                "agentName": message.agent_name,
                "nodeName": message.node_name,
                "runId": message.run_id,
                "active": message.active,
                "running": message.running,
                "role": message.role.value,
                "state": message.state,
            }
        case ImageMessage():
            item |= {"format": message.format, "bytes": message.bytes, "role": message.role.value}
            _add_parent(item, message.parent_message_id)
    if message.status is MessageStatus.FAILED:
        item["status"] = {"code": "Failed", "reason": "The message was cut off by an error"}
    return item


def _add_parent(item: JsonObject, parent_message_id: str | None) -> None:
    if parent_message_id is not None:
        item["parentMessageId"] = parent_message_id


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
