"""What an AG-UI agent is sent: `RunAgentInput` with the conversation as AG-UI messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from ag_ui.core import (
    ActivityMessage,
    AssistantMessage,
    BinaryInputContent,
    Context,
    DeveloperMessage,
    FunctionCall,
    Message,
    ReasoningMessage,
    ResumeEntry,
    RunAgentInput,
    SystemMessage,
    TextInputContent,
    Tool,
    ToolCall,
    ToolMessage,
    UserMessage,
)

from agui_runtime.application.ports import AgentRunRequest
from agui_runtime.domain.json import JsonObject, parse_json_object
from agui_runtime.domain.messages import ActionExecutionMessage, ImageMessage, ResultMessage, Role, TextMessage
from agui_runtime.domain.messages import ActivityMessage as DomainActivity
from agui_runtime.domain.messages import Message as DomainMessage
from agui_runtime.domain.messages import ReasoningMessage as DomainReasoning


def to_agui_messages(messages: Sequence[DomainMessage], *, display: bool = False) -> list[Message]:
    """Texts by role; a tool call joins the assistant message it names as parent (or a new one); results
    become tool messages; reasoning stays reasoning, its encrypted value with it. Images and agent-state
    snapshots are not sent; activity messages only for `display` (a client rebuilding the thread: agents
    are not sent them, as the client itself does not send them)."""
    converted: list[Message] = []
    assistants: dict[str, AssistantMessage] = {}
    for message in messages:
        match message:
            case TextMessage(role=Role.USER):
                converted.append(UserMessage(id=message.id, content=message.content))
            case TextMessage(role=Role.SYSTEM):
                converted.append(SystemMessage(id=message.id, content=message.content))
            case TextMessage(role=Role.DEVELOPER):
                converted.append(DeveloperMessage(id=message.id, content=message.content))
            case TextMessage():
                assistant = AssistantMessage(id=message.id, content=message.content)
                assistants[message.id] = assistant
                converted.append(assistant)
            case ActionExecutionMessage():
                call = ToolCall(
                    id=message.id, function=FunctionCall(name=message.name, arguments=json.dumps(message.arguments))
                )
                owner_id = message.parent_message_id or message.id
                owner = assistants.get(owner_id)
                if owner is None:
                    owner = AssistantMessage(id=owner_id, tool_calls=[])
                    assistants[owner_id] = owner
                    converted.append(owner)
                owner.tool_calls = [*(owner.tool_calls or []), call]
            case ResultMessage():
                converted.append(
                    ToolMessage(id=message.id, content=message.result, tool_call_id=message.action_execution_id)
                )
            case DomainReasoning():
                converted.append(
                    ReasoningMessage(
                        id=message.id,
                        content=message.content,
                        encrypted_value=message.encrypted_value,
                        subagent_run_id=message.subagent_run_id,
                    )
                )
            case DomainActivity() if display:
                converted.append(
                    ActivityMessage(
                        id=message.id,
                        activity_type=message.activity_type,
                        content=message.content,
                        subagent_run_id=message.subagent_run_id,
                    )
                )
            case _:
                pass
    return converted


def run_agent_input(request: AgentRunRequest) -> RunAgentInput:
    return RunAgentInput(
        thread_id=request.thread_id,
        run_id=request.run_id,
        state=request.state,
        messages=to_agui_messages(request.messages),
        tools=[Tool(name=t.name, description=t.description, parameters=t.parameters) for t in request.tools],
        context=[Context(description=description, value=value) for description, value in request.context],
        forwarded_props=forwarded_props(request),
        resume=[ResumeEntry.model_validate(entry) for entry in request.resume_entries] or None,
    )


def forwarded_props(request: AgentRunRequest) -> JsonObject:
    """As the reference builds them: config (without `streamSubgraphs`), the interrupt answer as
    `command.resume`, thread metadata, the node, then every request property at the top level."""
    config = {key: value for key, value in request.config.items() if key != "streamSubgraphs"}
    props: JsonObject = {"config": config}
    if request.resume is not None:
        props["command"] = {"resume": request.resume}
    metadata = request.request.properties.get("threadMetadata")
    props["threadMetadata"] = metadata if isinstance(metadata, dict) else {}
    if request.node_name:
        props["nodeName"] = request.node_name
    if "streamSubgraphs" in request.config:
        props["streamSubgraphs"] = request.config["streamSubgraphs"]
    return {**props, **request.request.properties}


def from_agui_messages(messages: Sequence[Message], now: datetime) -> tuple[DomainMessage, ...]:
    """A client's AG-UI messages as the thread keeps them: an assistant message's text and each of its tool
    calls (parented to it); a tool message as the result of the call it names; reasoning as sent (agents
    get it back, `encryptedValue` included; chat models never). Activity messages are the client's
    display and are left out."""
    converted: list[DomainMessage] = []
    names: dict[str, str] = {}
    for message in messages:
        match message:
            case UserMessage():
                converted += _user_parts(message, now)
            case SystemMessage():
                converted.append(TextMessage(id=message.id, created_at=now, role=Role.SYSTEM, content=message.content))
            case DeveloperMessage():
                converted.append(
                    TextMessage(id=message.id, created_at=now, role=Role.DEVELOPER, content=message.content)
                )
            case AssistantMessage():
                if message.content or not message.tool_calls:
                    converted.append(
                        TextMessage(id=message.id, created_at=now, role=Role.ASSISTANT, content=message.content or "")
                    )
                for call in message.tool_calls or []:
                    names[call.id] = call.function.name
                    arguments = parse_json_object(call.function.arguments) if call.function.arguments.strip() else {}
                    converted.append(
                        ActionExecutionMessage(
                            id=call.id,
                            created_at=now,
                            name=call.function.name,
                            arguments=arguments if arguments is not None else {"_unparsed": call.function.arguments},
                            parent_message_id=message.id,
                        )
                    )
            case ReasoningMessage():
                converted.append(
                    DomainReasoning(
                        id=message.id,
                        created_at=now,
                        content=message.content,
                        encrypted_value=message.encrypted_value,
                        subagent_run_id=message.subagent_run_id,
                    )
                )
            case ToolMessage():
                converted.append(
                    ResultMessage(
                        id=message.id,
                        created_at=now,
                        action_execution_id=message.tool_call_id,
                        action_name=names.get(message.tool_call_id, ""),
                        result=message.content,
                    )
                )
            case _:
                pass
    return tuple(converted)


def _user_parts(message: UserMessage, now: datetime) -> list[DomainMessage]:
    if isinstance(message.content, str):
        return [TextMessage(id=message.id, created_at=now, role=Role.USER, content=message.content)]
    texts = [part.text for part in message.content if isinstance(part, TextInputContent)]
    out: list[DomainMessage] = [TextMessage(id=message.id, created_at=now, role=Role.USER, content="\n".join(texts))]
    for index, part in enumerate(message.content):
        if isinstance(part, BinaryInputContent) and part.data and part.mime_type.startswith("image/"):
            image_format = part.mime_type.removeprefix("image/")
            out.append(
                ImageMessage(
                    id=f"{message.id}-{index}", created_at=now, role=Role.USER, format=image_format, bytes=part.data
                )
            )
    return out
