"""The contract's output types. Streamed fields (`messages`, `metaEvents`, `content`, `arguments`) are
plain lists here; the streaming resolvers feed them from a run."""

from __future__ import annotations

from typing import Annotated

import strawberry

from adapters.inbound.graphql.enums import (
    FailedResponseStatusReason,
    MessageRole,
    MessageStatusCode,
    MetaEventName,
    ResponseStatusCode,
)
from adapters.inbound.graphql.scalars import JSON, DateTimeISO


@strawberry.type
class PendingMessageStatus:
    code: MessageStatusCode = MessageStatusCode.Pending


@strawberry.type
class SuccessMessageStatus:
    code: MessageStatusCode = MessageStatusCode.Success


@strawberry.type
class FailedMessageStatus:
    code: MessageStatusCode = MessageStatusCode.Failed
    reason: str


MessageStatus = Annotated[
    PendingMessageStatus | SuccessMessageStatus | FailedMessageStatus, strawberry.union("MessageStatus")
]


@strawberry.interface
class BaseMessageOutput:
    id: str
    created_at: DateTimeISO
    status: MessageStatus


@strawberry.type
class TextMessageOutput(BaseMessageOutput):
    role: MessageRole
    content: list[str]
    parent_message_id: str | None = None


@strawberry.type
class ActionExecutionMessageOutput(BaseMessageOutput):
    name: str
    scope: str | None = strawberry.field(
        default=None, deprecation_reason="This field will be removed in a future version"
    )
    arguments: list[str]
    parent_message_id: str | None = None


@strawberry.type
class ResultMessageOutput(BaseMessageOutput):
    action_execution_id: str
    action_name: str
    result: str


@strawberry.type
class AgentStateMessageOutput(BaseMessageOutput):
    thread_id: str
    agent_name: str
    node_name: str
    run_id: str
    active: bool
    role: MessageRole
    state: str
    running: bool


@strawberry.type
class ImageMessageOutput(BaseMessageOutput):
    format: str
    bytes: str
    role: MessageRole
    parent_message_id: str | None = None


MESSAGE_OUTPUT_TYPES = (
    TextMessageOutput,
    ActionExecutionMessageOutput,
    ResultMessageOutput,
    AgentStateMessageOutput,
    ImageMessageOutput,
)


@strawberry.interface
class BaseResponseStatus:
    code: ResponseStatusCode


@strawberry.type
class PendingResponseStatus(BaseResponseStatus):
    code: ResponseStatusCode = ResponseStatusCode.Pending


@strawberry.type
class SuccessResponseStatus(BaseResponseStatus):
    code: ResponseStatusCode = ResponseStatusCode.Success


@strawberry.type
class FailedResponseStatus(BaseResponseStatus):
    code: ResponseStatusCode = ResponseStatusCode.Failed
    reason: FailedResponseStatusReason
    details: JSON | None = None


ResponseStatus = Annotated[
    PendingResponseStatus | SuccessResponseStatus | FailedResponseStatus, strawberry.union("ResponseStatus")
]


@strawberry.interface
class BaseMetaEvent:
    type: str
    name: MetaEventName


@strawberry.type
class LangGraphInterruptEvent(BaseMetaEvent):
    value: str
    response: str | None = None


@strawberry.type
class CopilotKitLangGraphInterruptEventData:
    value: str
    messages: list[BaseMessageOutput]


@strawberry.type
class CopilotKitLangGraphInterruptEvent(BaseMetaEvent):
    data: CopilotKitLangGraphInterruptEventData
    response: str | None = None


@strawberry.type(name="OpenAIApiAssistantAPIResponse")
class OpenAIApiAssistantAPIResponse:
    run_id: str | None = None
    thread_id: str | None = None


@strawberry.type
class ExtensionsResponse:
    openai_assistant_api: OpenAIApiAssistantAPIResponse | None = strawberry.field(
        default=None, name="openaiAssistantAPI"
    )


@strawberry.type
class CopilotResponse:
    thread_id: str
    status: ResponseStatus
    run_id: str | None = None
    messages: list[BaseMessageOutput]
    extensions: ExtensionsResponse | None = None
    meta_events: list[BaseMetaEvent] | None = None


@strawberry.type
class Agent:
    id: str
    name: str
    description: str


@strawberry.type
class AgentsResponse:
    agents: list[Agent]


@strawberry.type
class LoadAgentStateResponse:
    thread_id: str
    thread_exists: bool
    state: str
    messages: str
