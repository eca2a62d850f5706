"""Translation between domain objects and the contract's types, in one place."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import TypeVar

import strawberry

from agui_runtime.adapters.inbound.graphql.enums import ActionInputAvailability
from agui_runtime.adapters.inbound.graphql.inputs import (
    ActionInput,
    CloudInput,
    ForwardedParametersInput,
    GenerateCopilotResponseInput,
    MessageInput,
)
from agui_runtime.adapters.inbound.graphql.outputs import Agent, AgentsResponse, LoadAgentStateResponse
from agui_runtime.adapters.inbound.graphql.scalars import serialize_datetime
from agui_runtime.application.errors import InvalidInput
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.use_cases.generate_response import ChatTurn
from agui_runtime.application.use_cases.load_agent_state import AgentStateView
from agui_runtime.application.use_cases.run_agent import AgentTurn
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.guardrails import TopicRules
from agui_runtime.domain.json import JsonObject, parse_json_object
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
from agui_runtime.domain.tools import ModelParameters, ToolDefinition

T = TypeVar("T")


V2_ONLY = (ReasoningMessage, ActivityMessage)


def agents_response(agents: Iterable[AgentDescriptor]) -> AgentsResponse:
    return AgentsResponse(
        agents=[Agent(id=agent.id, name=agent.name, description=agent.description) for agent in agents]
    )


def load_state_response(view: AgentStateView) -> LoadAgentStateResponse:
    return LoadAgentStateResponse(
        thread_id=view.thread_id,
        thread_exists=view.thread_exists,
        state=_json(view.state),
        messages=_json(
            list(view.legacy_messages)
            if view.legacy_messages is not None
            # v1 has no reasoning or activity messages: they are left out.
            else [legacy_message(message) for message in view.messages if not isinstance(message, V2_ONLY)]
        ),
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


def _given(value: T | None) -> T | None:
    """None for both null and absent (`strawberry.UNSET`) inputs."""
    return None if value is None or value is strawberry.UNSET else value


def chat_turn(
    data: GenerateCopilotResponseInput, request: RequestContext, properties: JsonObject | None = None
) -> ChatTurn:
    """The request as the chat use-case takes it. Agent-state messages never reach a model; frontend
    actions become tools unless disabled, or `remote` (those are for agents). The mutation's
    `properties` are merged over the configured ones; `cloud.guardrails` become topic rules."""
    messages = tuple(message for item in data.messages if (message := _message(item)) is not None)
    tools = tuple(
        _tool(action)
        for action in data.frontend.actions
        if _given(action.available) not in (ActionInputAvailability.disabled, ActionInputAvailability.remote)
    )
    return ChatTurn(
        messages=messages,
        thread_id=_given(data.thread_id) or None,
        tools=tools,
        parameters=_parameters(_given(data.forwarded_parameters)),
        request=request.with_properties(properties or {}).at_url(_given(data.frontend.url) or None),
        guardrails=_guardrails(_given(data.cloud)),
    )


def agent_turn(
    data: GenerateCopilotResponseInput, request: RequestContext, properties: JsonObject | None = None
) -> AgentTurn:
    """An `agentSession` request as the agent use-case takes it: every frontend action but disabled ones
    (`remote` ones are for agents), the client's state and config of the agent, its readables, and the
    answer to an interrupt."""
    session = _given(data.agent_session)
    assert session is not None
    name = session.agent_name
    messages = tuple(message for item in data.messages if (message := _message(item)) is not None)
    tools = tuple(
        _tool(action)
        for action in data.frontend.actions
        if _given(action.available) is not ActionInputAvailability.disabled
    )
    sent = next((item for item in _given(data.agent_states) or () if item.agent_name == name), None)
    state = _object(sent.state, f"agentStates[{name}].state") if sent is not None else None
    config_text = _given(sent.config) if sent is not None else None
    config = _object(config_text, f"agentStates[{name}].config") if config_text else {}
    meta = _given(data.meta_events) or []
    resume = _given(meta[0].response) if meta else None
    return AgentTurn(
        agent_name=name,
        messages=messages,
        thread_id=_given(data.thread_id) or _given(session.thread_id) or None,
        node_name=_given(session.node_name) or None,
        tools=tools,
        state=state,
        config=config or {},
        context=tuple((item.description, item.value) for item in _given(data.context) or ()),
        resume=resume,
        request=request.with_properties(properties or {}),
    )


def _object(text: str, what: str) -> JsonObject:
    parsed = parse_json_object(text) if text.strip() else {}
    if parsed is None:
        raise InvalidInput(f"{what} must be a JSON object")
    return parsed


def _guardrails(cloud: CloudInput | None) -> TopicRules | None:
    guardrails = _given(cloud.guardrails) if cloud is not None else None
    if guardrails is None:
        return None
    rules = guardrails.input_validation_rules
    allow = tuple(topic for topic in _given(rules.allow_list) or () if topic.strip())
    deny = tuple(topic for topic in _given(rules.deny_list) or () if topic.strip())
    return TopicRules(allow, deny)


def _message(item: MessageInput) -> Message | None:
    kinds = [
        kind
        for kind in (
            item.text_message,
            item.action_execution_message,
            item.result_message,
            item.agent_state_message,
            item.image_message,
        )
        if _given(kind) is not None
    ]
    if len(kinds) > 1:
        raise InvalidInput(f"message '{item.id}' sets more than one kind of message; set exactly one")
    message_id = item.id or f"ck-{uuid.uuid4()}"
    created_at = item.created_at
    text, call, result = _given(item.text_message), _given(item.action_execution_message), _given(item.result_message)
    image = _given(item.image_message)
    if text is not None:
        return TextMessage(
            id=message_id,
            created_at=created_at,
            role=Role(text.role.value),
            content=text.content,
            parent_message_id=_given(text.parent_message_id),
        )
    if call is not None:
        return ActionExecutionMessage(
            id=message_id,
            created_at=created_at,
            name=call.name,
            arguments=parse_json_object(call.arguments) or {},
            parent_message_id=_given(call.parent_message_id),
        )
    if result is not None:
        return ResultMessage(
            id=message_id,
            created_at=created_at,
            action_execution_id=result.action_execution_id,
            action_name=result.action_name,
            result=result.result,
            parent_message_id=_given(result.parent_message_id),
        )
    if image is not None:
        return ImageMessage(
            id=message_id,
            created_at=created_at,
            role=Role(image.role.value),
            format=image.format,
            bytes=image.bytes,
            parent_message_id=_given(image.parent_message_id),
        )
    return None  # agent-state messages (the client strips them anyway) and empty ones


def _tool(action: ActionInput) -> ToolDefinition:
    schema = parse_json_object(action.json_schema)
    return ToolDefinition(
        name=action.name,
        description=action.description,
        parameters=schema if schema is not None else {"type": "object", "properties": {}},
    )


def _parameters(given: ForwardedParametersInput | None) -> ModelParameters:
    if given is None:
        return ModelParameters()
    max_tokens = _given(given.max_tokens)
    return ModelParameters(
        model=_given(given.model) or None,
        max_tokens=int(max_tokens) if max_tokens else None,
        stop=tuple(_given(given.stop) or ()),
        tool_choice=_given(given.tool_choice) or None,
        tool_choice_function_name=_given(given.tool_choice_function_name) or None,
        temperature=_given(given.temperature),
    )
