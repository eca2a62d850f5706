"""The contract's input types, field for field as the 1.10.6 client sends them."""

from __future__ import annotations

import strawberry

from agui_runtime.adapters.inbound.graphql.enums import (
    ActionInputAvailability,
    CopilotRequestType,
    MessageRole,
    MetaEventName,
)
from agui_runtime.adapters.inbound.graphql.scalars import DateTimeISO

_SCOPE_DEPRECATION = "This field will be removed in a future version"


@strawberry.input
class GenerateCopilotResponseMetadataInput:
    request_type: CopilotRequestType | None = strawberry.UNSET


@strawberry.input
class TextMessageInput:
    content: str
    parent_message_id: str | None = strawberry.UNSET
    role: MessageRole


@strawberry.input
class ActionExecutionMessageInput:
    name: str
    arguments: str
    parent_message_id: str | None = strawberry.UNSET
    scope: str | None = strawberry.field(default=strawberry.UNSET, deprecation_reason=_SCOPE_DEPRECATION)


@strawberry.input
class ResultMessageInput:
    action_execution_id: str
    action_name: str
    parent_message_id: str | None = strawberry.UNSET
    result: str


@strawberry.input
class AgentStateMessageInput:
    thread_id: str
    agent_name: str
    role: MessageRole
    state: str
    running: bool
    node_name: str
    run_id: str
    active: bool


@strawberry.input
class ImageMessageInput:
    format: str
    bytes: str
    parent_message_id: str | None = strawberry.UNSET
    role: MessageRole


@strawberry.input
class MessageInput:
    """A hand-made union: exactly one of the sub-messages is set."""

    id: str
    created_at: DateTimeISO
    text_message: TextMessageInput | None = strawberry.UNSET
    action_execution_message: ActionExecutionMessageInput | None = strawberry.UNSET
    result_message: ResultMessageInput | None = strawberry.UNSET
    agent_state_message: AgentStateMessageInput | None = strawberry.UNSET
    image_message: ImageMessageInput | None = strawberry.UNSET


@strawberry.input
class ActionInput:
    name: str
    description: str
    json_schema: str
    available: ActionInputAvailability | None = strawberry.UNSET


@strawberry.input
class FrontendInput:
    to_deprecate_full_context: str | None = strawberry.field(default=strawberry.UNSET, name="toDeprecate_fullContext")
    actions: list[ActionInput]
    url: str | None = strawberry.UNSET


@strawberry.input
class GuardrailsRuleInput:
    allow_list: list[str] | None = strawberry.field(default_factory=list)
    deny_list: list[str] | None = strawberry.field(default_factory=list)


@strawberry.input
class GuardrailsInput:
    input_validation_rules: GuardrailsRuleInput


@strawberry.input
class CloudInput:
    guardrails: GuardrailsInput | None = strawberry.UNSET


@strawberry.input
class ForwardedParametersInput:
    model: str | None = strawberry.UNSET
    max_tokens: float | None = strawberry.UNSET
    stop: list[str] | None = strawberry.UNSET
    tool_choice: str | None = strawberry.UNSET
    tool_choice_function_name: str | None = strawberry.UNSET
    temperature: float | None = strawberry.UNSET


@strawberry.input
class AgentSessionInput:
    agent_name: str
    thread_id: str | None = strawberry.UNSET
    node_name: str | None = strawberry.UNSET


@strawberry.input
class AgentStateInput:
    agent_name: str
    state: str
    config: str | None = strawberry.UNSET


@strawberry.input(name="OpenAIApiAssistantAPIInput")
class OpenAIApiAssistantAPIInput:
    run_id: str | None = strawberry.UNSET
    thread_id: str | None = strawberry.UNSET


@strawberry.input
class ExtensionsInput:
    openai_assistant_api: OpenAIApiAssistantAPIInput | None = strawberry.field(
        default=strawberry.UNSET, name="openaiAssistantAPI"
    )


@strawberry.input
class MetaEventInput:
    name: MetaEventName
    value: str
    response: str | None = strawberry.UNSET
    messages: list[MessageInput] | None = strawberry.UNSET


@strawberry.input
class CopilotContextInput:
    description: str
    value: str


@strawberry.input
class GenerateCopilotResponseInput:
    metadata: GenerateCopilotResponseMetadataInput
    thread_id: str | None = strawberry.UNSET
    run_id: str | None = strawberry.UNSET
    messages: list[MessageInput]
    frontend: FrontendInput
    cloud: CloudInput | None = strawberry.UNSET
    forwarded_parameters: ForwardedParametersInput | None = strawberry.UNSET
    agent_session: AgentSessionInput | None = strawberry.UNSET
    agent_state: AgentStateInput | None = strawberry.UNSET
    agent_states: list[AgentStateInput] | None = strawberry.UNSET
    extensions: ExtensionsInput | None = strawberry.UNSET
    meta_events: list[MetaEventInput] | None = strawberry.UNSET
    context: list[CopilotContextInput] | None = strawberry.UNSET


@strawberry.input
class LoadAgentStateInput:
    thread_id: str
    agent_name: str
