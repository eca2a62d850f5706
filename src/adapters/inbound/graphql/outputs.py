"""The contract's output types. Streamed fields (`messages`, `metaEvents`, `content`, `arguments`) are
async generators and deferred statuses await the run, both read from replayable progress buffers."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from agui_runtime.adapters.inbound.graphql.enums import (
    FailedResponseStatusReason,
    MessageRole,
    MessageStatusCode,
    MetaEventName,
    ResponseStatusCode,
)
from agui_runtime.adapters.inbound.graphql.progress import MessageProgress, RunProgress
from agui_runtime.adapters.inbound.graphql.scalars import JSON, DateTimeISO


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


MessageStatusValue = PendingMessageStatus | SuccessMessageStatus | FailedMessageStatus


@strawberry.interface
class BaseMessageOutput:
    id: str
    created_at: DateTimeISO
    progress: strawberry.Private[MessageProgress[MessageStatusValue]]

    @strawberry.field
    async def status(self) -> MessageStatus:
        return await self.progress.finished()


# Streamed lists are async-generator resolvers whose GraphQL type is given explicitly (`graphql_type`):
# Strawberry's own streamable type drops a union's name from the SDL, and its overloads leave such a
# decorator untyped, hence the coded ignores.


@strawberry.type
class TextMessageOutput(BaseMessageOutput):
    role: MessageRole

    @strawberry.field(graphql_type=list[str])  # type: ignore[untyped-decorator]
    async def content(self) -> AsyncGenerator[str, None]:
        async for part in self.progress.stream():
            yield part

    parent_message_id: str | None = None


@strawberry.type
class ActionExecutionMessageOutput(BaseMessageOutput):
    name: str
    scope: str | None = strawberry.field(
        default=None, deprecation_reason="This field will be removed in a future version"
    )

    @strawberry.field(graphql_type=list[str])  # type: ignore[untyped-decorator]
    async def arguments(self) -> AsyncGenerator[str, None]:
        async for part in self.progress.stream():
            yield part

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


ResponseStatusValue = PendingResponseStatus | SuccessResponseStatus | FailedResponseStatus
ResponseProgress = RunProgress[BaseMessageOutput, BaseMetaEvent, ResponseStatusValue]


@strawberry.type
class CopilotResponse:
    thread_id: str
    progress: strawberry.Private[ResponseProgress]

    @strawberry.field
    async def status(self) -> ResponseStatus:
        return await self.progress.finished()

    run_id: str | None = None

    @strawberry.field(graphql_type=list[BaseMessageOutput])  # type: ignore[untyped-decorator]
    async def messages(self) -> AsyncGenerator[BaseMessageOutput, None]:
        async for message in self.progress.stream_messages():
            yield message

    extensions: ExtensionsResponse | None = None

    @strawberry.field(graphql_type=list[BaseMetaEvent] | None)  # type: ignore[untyped-decorator]
    async def meta_events(self) -> AsyncGenerator[BaseMetaEvent, None]:
        async for event in self.progress.stream_meta_events():
            yield event


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
