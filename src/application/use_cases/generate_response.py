"""One chat turn: the request's messages to the chat model, its answer streamed back as run events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from application.errors import ApplicationError, ConfigurationError
from application.ports import ActionRegistry, ChatModel, Clock, IdGenerator, ThreadStore
from domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from domain.json import parse_json_object
from domain.messages import ActionExecutionMessage, Message, MessageStatus, ResultMessage, Role, TextMessage
from domain.tools import ActionOutcome, ChatRequest, ModelParameters, ToolDefinition

logger = logging.getLogger("agui_runtime.chat")


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """A converted request. `messages` is the whole history the client sent, in its order."""

    messages: tuple[Message, ...]
    thread_id: str | None = None
    tools: tuple[ToolDefinition, ...] = ()
    parameters: ModelParameters = field(default_factory=ModelParameters)
    principal: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRun:
    """A started run: ids are known at once; `events` yields until RunFinished or RunFailed."""

    thread_id: str
    run_id: str
    events: AsyncIterator[RunEvent]


@dataclass(slots=True)
class _Open:
    """A message the model has started and not yet ended."""

    message_id: str
    parent_message_id: str | None
    tool_name: str | None = None
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GenerateResponse:
    """Rules: the model sees the request's messages in request order, never stored history (clients send
    the full history every time). The request's messages are stored before the model is called; each
    output message is stored as it completes; a message cut off by a failure or an abort is stored as
    failed with what it had. A model failure ends the run with `RunFailed`, never with an exception."""

    chat_model: ChatModel | None
    store: ThreadStore
    clock: Clock
    ids: IdGenerator
    actions: ActionRegistry

    async def __call__(self, turn: ChatTurn) -> ChatRun:
        if self.chat_model is None:
            raise ConfigurationError(
                "No chat model is configured: set AGUI_LLM_PROVIDER (openai or anthropic) and AGUI_LLM_MODEL."
            )
        thread_id = turn.thread_id or self.ids.new_id()
        run_id = self.ids.new_id()
        backend = tuple(self.actions.definitions())
        taken = {tool.name for tool in backend}
        tools = backend + tuple(tool for tool in turn.tools if tool.name not in taken)
        request = ChatRequest(thread_id, run_id, turn.messages, tools, turn.parameters)
        return ChatRun(thread_id, run_id, self._run(self.chat_model, request, turn.principal, taken))

    async def _run(
        self, model: ChatModel, request: ChatRequest, principal: str | None, backend: set[str]
    ) -> AsyncIterator[RunEvent]:
        await self.store.save_messages(request.thread_id, request.messages, principal=principal)
        yield RunStarted(request.thread_id, request.run_id)
        open_messages: dict[str, _Open] = {}
        try:
            async for event in model.stream(request):
                done = await self._track(request.thread_id, open_messages, event)
                yield event
                if done is not None and done.tool_name in backend:
                    yield await self._execute(request.thread_id, done)
        except ApplicationError as error:
            await self._store_cut_off(request.thread_id, open_messages)
            yield RunFailed(error.code, error.message)
            return
        except asyncio.CancelledError:
            await asyncio.shield(self._store_cut_off(request.thread_id, open_messages))
            raise
        except Exception:
            logger.exception("chat model failed in thread %s", request.thread_id)
            await self._store_cut_off(request.thread_id, open_messages)
            yield RunFailed("UNKNOWN", "The chat model failed unexpectedly; the server log has the details.")
            return
        await self._store_cut_off(request.thread_id, open_messages)
        yield RunFinished(request.thread_id, request.run_id)

    async def _execute(self, thread_id: str, call: _Open) -> ToolCallResult:
        """Run a backend action the model called. Its result is streamed and stored, and reaches the model
        on the client's next request (the model is not called again within this one)."""
        assert call.tool_name is not None
        text = "".join(call.parts)
        arguments = parse_json_object(text) if text.strip() else {}
        if arguments is None:
            outcome = ActionOutcome(error_code="INVALID_ARGUMENTS", error_message="Failed to parse action arguments")
        else:
            outcome = await self.actions.execute(call.tool_name, arguments)
        result = ResultMessage(
            id=f"result-{call.message_id}",
            created_at=self.clock.now(),
            action_execution_id=call.message_id,
            action_name=call.tool_name,
            result=outcome.as_result_text(),
        )
        await self.store.save_messages(thread_id, [result])
        return ToolCallResult(result.id, call.message_id, call.tool_name, result.result)

    async def _track(self, thread_id: str, open_messages: dict[str, _Open], event: RunEvent) -> _Open | None:
        """Follow the model's messages; store each one that ends, and return it."""
        match event:
            case TextMessageStarted(message_id=message_id, parent_message_id=parent):
                open_messages[message_id] = _Open(message_id, parent)
            case ToolCallStarted(tool_call_id=call_id, tool_name=name, parent_message_id=parent):
                open_messages[call_id] = _Open(call_id, parent, tool_name=name)
            case TextMessageChunk(message_id=key, delta=delta) | ToolCallArgs(tool_call_id=key, delta=delta):
                if key in open_messages:
                    open_messages[key].parts.append(delta)
            case TextMessageEnded(message_id=key) | ToolCallEnded(tool_call_id=key):
                done = open_messages.pop(key, None)
                if done is not None:
                    await self.store.save_messages(thread_id, [self._message(done, MessageStatus.SUCCESS)])
                return done
            case _:
                pass
        return None

    async def _store_cut_off(self, thread_id: str, open_messages: dict[str, _Open]) -> None:
        if open_messages:
            cut = [self._message(item, MessageStatus.FAILED) for item in open_messages.values()]
            open_messages.clear()
            await self.store.save_messages(thread_id, cut)

    def _message(self, item: _Open, status: MessageStatus) -> Message:
        text = "".join(item.parts)
        if item.tool_name is None:
            return TextMessage(
                id=item.message_id,
                created_at=self.clock.now(),
                role=Role.ASSISTANT,
                content=text,
                parent_message_id=item.parent_message_id,
                status=status,
            )
        arguments = parse_json_object(text) if text else {}
        return ActionExecutionMessage(
            id=item.message_id,
            created_at=self.clock.now(),
            name=item.tool_name,
            arguments=arguments if arguments is not None else {"_unparsed": text},
            parent_message_id=item.parent_message_id,
            status=status if arguments is not None else MessageStatus.FAILED,
        )
