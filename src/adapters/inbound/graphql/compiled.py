"""The client's chat document answered without the generic incremental executor.

Every chat from react-core 1.10.x sends the same `generateCopilotResponse` document (`client_document`).
Through graphql-core's incremental executor each streamed token passes a stream-item queue, a work queue,
a publisher and the legacy-format rewrite, and that is most of what a token costs here. For this one
document:

- the part that is not streamed (variables, the resolver and so the whole request pipeline, errors,
  `threadId`, `runId`, `extensions`) still runs through graphql-core's executor, on the same document
  with its streamed and deferred selections taken out. Whatever fails there fails exactly as it would on
  the generic path;
- the streamed messages and meta events and the deferred statuses are written straight from the run's
  progress in the legacy incremental format the client merges, everything that is waiting in one payload.

`tests/integration/test_compiled_chat.py` runs both paths on the same runs (text, tool calls, results,
agent state, both interrupt kinds, failures, guardrails, a rejected request) and compares every entry."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    experimental_execute_incrementally,
    parse,
    print_ast,
    validate,
)

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE
from agui_runtime.adapters.inbound.graphql.context import GraphQLContext
from agui_runtime.adapters.inbound.graphql.outputs import (
    ActionExecutionMessageOutput,
    AgentStateMessageOutput,
    BaseMessageOutput,
    BaseMetaEvent,
    CopilotKitLangGraphInterruptEvent,
    FailedMessageStatus,
    FailedResponseStatus,
    ImageMessageOutput,
    LangGraphInterruptEvent,
    MessageStatusValue,
    ResponseProgress,
    ResponseStatusValue,
    ResultMessageOutput,
    TextMessageOutput,
)
from agui_runtime.adapters.inbound.graphql.progress import MessageProgress
from agui_runtime.adapters.inbound.graphql.scalars import serialize_datetime

ROOT = "generateCopilotResponse"
Payload = dict[str, Any]
Path = list[str | int]


def _is_deferred(node: object) -> bool:
    return isinstance(node, InlineFragmentNode) and any(
        directive.name.value == "defer" for directive in node.directives or ()
    )


def _head_of(document: DocumentNode) -> DocumentNode:
    """The document without the root field's streamed fields and deferred fragments."""
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    [root] = operation.selection_set.selections
    assert isinstance(root, FieldNode)
    assert root.selection_set is not None
    kept = tuple(
        node
        for node in root.selection_set.selections
        if not _is_deferred(node)
        and not (isinstance(node, FieldNode) and node.name.value in ("messages", "metaEvents"))
    )
    head_root = FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=root.arguments,
        directives=root.directives,
        selection_set=SelectionSetNode(selections=kept, loc=root.selection_set.loc),
        loc=root.loc,
    )
    head_operation = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=(head_root,), loc=operation.selection_set.loc),
        loc=operation.loc,
    )
    return DocumentNode(definitions=(head_operation,), loc=document.loc)


class CompiledChat:
    def __init__(self, schema: GraphQLSchema) -> None:
        document = parse(GENERATE_COPILOT_RESPONSE)
        self._printed = print_ast(document)
        self._head = _head_of(document)
        errors = validate(schema, self._head)
        if errors:
            raise RuntimeError(f"the compiled chat document does not fit the schema: {errors[0].message}")
        self._schema = schema

    def matches(self, document: DocumentNode) -> bool:
        """Whether `document` is the client's chat document (compared once per cached query text)."""
        return print_ast(document) == self._printed

    async def execute(
        self, variables: dict[str, Any] | None, context: GraphQLContext
    ) -> ExecutionResult | AsyncIterator[Payload]:
        """A single result when the request fails before its run starts (as the generic executor gives),
        else the payloads in the legacy incremental format, the first one first."""
        # The head has no @defer or @stream, so this gives one result; the schema declares both directives,
        # which only the experimental entry point accepts.
        result = experimental_execute_incrementally(
            self._schema, self._head, variable_values=variables, context_value=context
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        response = context.response
        if result.errors or result.data is None or response is None:
            return result
        head = {**result.data[ROOT], "messages": [], "metaEvents": []}
        return _payloads({"data": {ROOT: head}, "hasNext": True}, response.progress)


async def _payloads(initial: Payload, progress: ResponseProgress) -> AsyncIterator[Payload]:
    yield initial
    writer = _Writer(progress)
    while True:
        waiter = progress.broadcast.waiter()  # taken before reading, so no change is missed
        entries, done = writer.entries()
        if entries:
            yield {"incremental": entries, "hasNext": not done}
        elif done:
            yield {"hasNext": False}
        if done:
            return
        await waiter.wait()


@dataclass(slots=True)
class _Open:
    """A delivered message whose streamed list or deferred status is still to be sent."""

    path: Path
    progress: MessageProgress[MessageStatusValue]
    stream: str | None  # the streamed list field (`content`, `arguments`), if the selection streams one
    sent: int = 0


@dataclass
class _Writer:
    progress: ResponseProgress
    messages_sent: int = 0
    meta_sent: int = 0
    open: list[_Open] = field(default_factory=list)

    def entries(self) -> tuple[list[Payload], bool]:
        """Everything that became sendable since the last call, and whether the response is complete."""
        entries: list[Payload] = []
        messages = self.progress.messages
        if len(messages) > self.messages_sent:
            start, new = self.messages_sent, messages[self.messages_sent :]
            self.messages_sent = len(messages)
            entries.append({"items": [_message(m) for m in new], "path": [ROOT, "messages", start]})
            for index, message in enumerate(new, start):
                self.open.append(_Open([ROOT, "messages", index], message.progress, _streamed_field(message)))
        events = self.progress.meta_events
        if len(events) > self.meta_sent:
            start, fresh = self.meta_sent, events[self.meta_sent :]
            self.meta_sent = len(events)
            entries.append({"items": [_meta_event(e) for e in fresh], "path": [ROOT, "metaEvents", start]})
            for index, event in enumerate(fresh, start):
                if isinstance(event, CopilotKitLangGraphInterruptEvent):
                    for position, message in enumerate(event.data.messages):
                        path: Path = [ROOT, "metaEvents", index, "data", "messages", position]
                        self.open.append(_Open(path, message.progress, None))
        still_open: list[_Open] = []
        for item in self.open:
            if item.stream is not None and len(item.progress.parts) > item.sent:
                parts = item.progress.parts[item.sent :]
                entries.append({"items": parts, "path": [*item.path, item.stream, item.sent]})
                item.sent += len(parts)
            if item.progress.status is None:
                still_open.append(item)
            else:
                entries.append({"data": {"status": _message_status(item.progress.status)}, "path": item.path})
        self.open = still_open
        finished = self.progress.status
        if finished is None or self.open:
            return entries, False
        entries.append({"data": {"status": _response_status(finished)}, "path": [ROOT]})
        return entries, True


def _streamed_field(message: BaseMessageOutput) -> str | None:
    if isinstance(message, TextMessageOutput):
        return "content"
    if isinstance(message, ActionExecutionMessageOutput):
        return "arguments"
    return None


# The serializers below write each object with the document's selection, keys in the order graphql-core
# collects them (the differential test holds them to it).


def _message(message: BaseMessageOutput, *, streamed: bool = True) -> Payload:
    """A `messages` item (`streamed`: its lists start empty and their parts follow) or a message inside a
    CopilotKit interrupt (its lists whole; that selection has no image or agent-state fields). The status
    is deferred in both."""
    value: Payload = {
        "__typename": type(message).__name__,
        "id": message.id,
        "createdAt": serialize_datetime(message.created_at),
    }
    parts = [] if streamed else list(message.progress.parts)
    match message:
        case TextMessageOutput():
            value |= {"content": parts, "role": message.role.name, "parentMessageId": message.parent_message_id}
        case ActionExecutionMessageOutput():
            value |= {"name": message.name, "arguments": parts, "parentMessageId": message.parent_message_id}
        case ResultMessageOutput():
            value |= {
                "result": message.result,
                "actionExecutionId": message.action_execution_id,
                "actionName": message.action_name,
            }
        case ImageMessageOutput() if streamed:
            value |= {
                "format": message.format,
                "bytes": message.bytes,
                "role": message.role.name,
                "parentMessageId": message.parent_message_id,
            }
        case AgentStateMessageOutput() if streamed:
            value |= {
                "threadId": message.thread_id,
                "state": message.state,
                "running": message.running,
                "agentName": message.agent_name,
                "nodeName": message.node_name,
                "runId": message.run_id,
                "active": message.active,
                "role": message.role.name,
            }
    return value


def _meta_event(event: BaseMetaEvent) -> Payload:
    match event:
        case LangGraphInterruptEvent():
            return {
                "type": event.type,
                "name": event.name.name,
                "value": event.value,
                "__typename": type(event).__name__,
            }
        case CopilotKitLangGraphInterruptEvent():
            data = {
                "messages": [_message(m, streamed=False) for m in event.data.messages],
                "value": event.data.value,
                "__typename": "CopilotKitLangGraphInterruptEventData",
            }
            return {"type": event.type, "name": event.name.name, "data": data, "__typename": type(event).__name__}
    return {"__typename": type(event).__name__}


def _message_status(status: MessageStatusValue) -> Payload:
    if isinstance(status, FailedMessageStatus):
        return {"code": status.code.name, "reason": status.reason, "__typename": "FailedMessageStatus"}
    return {"code": status.code.name, "__typename": type(status).__name__}


def _response_status(status: ResponseStatusValue) -> Payload:
    value: Payload = {"code": status.code.name, "__typename": type(status).__name__}
    if isinstance(status, FailedResponseStatus):
        value |= {"reason": status.reason.name, "details": status.details}
    return value
