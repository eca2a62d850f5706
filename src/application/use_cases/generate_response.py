"""One chat turn: the request's messages to the chat model, its answer streamed back as run events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from application.errors import AccessDenied, ApplicationError, ConfigurationError
from application.ports import ActionRegistry, ChatModel, Clock, Guardrails, IdGenerator, RequestHooks, ThreadStore
from application.requests import AfterRequest, BeforeRequest, RequestContext
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
from domain.guardrails import TopicRules, guardrails_case
from domain.json import parse_json_object
from domain.messages import ActionExecutionMessage, Message, MessageStatus, ResultMessage, Role, TextMessage
from domain.tools import ActionOutcome, ChatRequest, ModelParameters, ToolDefinition

logger = logging.getLogger("agui_runtime.chat")

GUARDRAILS_DENIED = "GUARDRAILS_VALIDATION_FAILED"


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """A converted request. `messages` is the whole history the client sent, in its order."""

    messages: tuple[Message, ...]
    thread_id: str | None = None
    tools: tuple[ToolDefinition, ...] = ()
    parameters: ModelParameters = field(default_factory=ModelParameters)
    request: RequestContext = field(default_factory=RequestContext)
    guardrails: TopicRules | None = None


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


@dataclass(slots=True)
class _Run:
    """One run's working set: what the model is asked, for whom, and what it has produced so far."""

    chat: ChatRequest
    request: RequestContext
    rules: TopicRules | None
    backend: frozenset[str]
    outputs: list[Message] = field(default_factory=list)
    open_messages: dict[str, _Open] = field(default_factory=dict)

    @property
    def thread_id(self) -> str:
        return self.chat.thread_id

    @property
    def principal(self) -> str | None:
        return self.request.principal


@dataclass(frozen=True, slots=True)
class GenerateResponse:
    """Rules:
    - `on_before_request` runs first and may refuse the request or name its principal; a thread another
      principal owns is refused (`AccessDenied`) before anything is stored or generated.
    - When guardrails apply (`guardrails_case`), the verdict comes before the model is called: a denied
      request generates nothing and runs no action.
    - The model sees the request's messages in request order, never stored history (clients send the
      full history every time). The request's messages are stored before the model is called; each
      output message is stored as it completes; a message cut off by a failure or an abort is stored as
      failed with what it had.
    - A model failure ends the run with `RunFailed`, never with an exception.
    - However the run ends, `on_after_request` gets its report without delaying the response."""

    chat_model: ChatModel | None
    store: ThreadStore
    clock: Clock
    ids: IdGenerator
    actions: ActionRegistry
    hooks: RequestHooks
    guardrails: Guardrails

    async def __call__(self, turn: ChatTurn) -> ChatRun:
        thread_id = turn.thread_id or self.ids.new_id()
        run_id = self.ids.new_id()
        before = BeforeRequest(
            "generateCopilotResponse", turn.request, thread_id=thread_id, run_id=run_id, input_messages=turn.messages
        )
        request = turn.request.for_principal(await self.hooks.before_request(before))
        if self.chat_model is None:
            raise ConfigurationError(
                "No chat model is configured: set AGUI_LLM_PROVIDER (openai or anthropic) and AGUI_LLM_MODEL."
            )
        if turn.thread_id is not None:
            existing = await self.store.get_thread(thread_id)
            if existing is not None and not existing.accessible_by(request.principal):
                raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
        backend = tuple(self.actions.definitions())
        taken = frozenset(tool.name for tool in backend)
        tools = backend + tuple(tool for tool in turn.tools if tool.name not in taken)
        chat = ChatRequest(thread_id, run_id, turn.messages, tools, turn.parameters)
        run = _Run(chat, request, turn.guardrails, taken)
        return ChatRun(thread_id, run_id, self._reported(self.chat_model, run))

    async def _reported(self, model: ChatModel, run: _Run) -> AsyncIterator[RunEvent]:
        error_code: str | None = "CLIENT_DISCONNECTED"
        events = self._run(model, run)
        try:
            async for event in events:
                if isinstance(event, RunFinished):
                    error_code = None
                elif isinstance(event, RunFailed):
                    error_code = event.code
                yield event
        finally:
            await events.aclose()  # when the client left between events: store what was cut off first
            report = AfterRequest(
                run.thread_id, run.chat.run_id, run.request, run.chat.messages, tuple(run.outputs), error_code
            )
            try:
                self.hooks.after_request(report)
            except Exception as exc:
                logger.error("on_after_request could not be scheduled: %s", type(exc).__name__)

    async def _run(self, model: ChatModel, run: _Run) -> AsyncGenerator[RunEvent, None]:
        try:
            await self.store.save_messages(run.thread_id, run.chat.messages, principal=run.principal)
        except ApplicationError as error:
            yield RunFailed(error.code, error.message)
            return
        yield RunStarted(run.thread_id, run.chat.run_id)
        case = guardrails_case(run.rules, run.chat.messages)
        if case is not None:
            try:
                verdict = await self.guardrails.check(case, run.request)
            except ApplicationError as error:
                logger.warning("guardrails failed in thread %s: %s %s", run.thread_id, error.code, error.message)
                yield RunFailed(error.code, error.message)
                return
            if not verdict.allowed:
                reason = verdict.reason or "This request is outside the topics this assistant may discuss."
                denial = TextMessage(
                    id=self.ids.new_id(), created_at=self.clock.now(), role=Role.ASSISTANT, content=reason
                )
                run.outputs.append(denial)
                yield RunFailed(GUARDRAILS_DENIED, reason)
                return
        try:
            async for event in model.stream(run.chat):
                done = await self._track(run, event)
                yield event
                if done is not None and done.tool_name in run.backend:
                    yield await self._execute(run, done)
        except ApplicationError as error:
            await self._store_cut_off(run)
            logger.warning("run failed in thread %s: %s %s", run.thread_id, error.code, error.message)
            yield RunFailed(error.code, error.message)
            return
        except (asyncio.CancelledError, GeneratorExit):
            await asyncio.shield(self._store_cut_off(run))
            raise
        except Exception as exc:
            # One line with the code by default; the trace only at debug level (it may hold request data).
            logger.error("run failed in thread %s: UNKNOWN (%s)", run.thread_id, type(exc).__name__)
            logger.debug("trace of the UNKNOWN failure in thread %s", run.thread_id, exc_info=exc)
            await self._store_cut_off(run)
            yield RunFailed("UNKNOWN", "The chat model failed unexpectedly; the server log has the details.")
            return
        await self._store_cut_off(run)
        yield RunFinished(run.thread_id, run.chat.run_id)

    async def _execute(self, run: _Run, call: _Open) -> ToolCallResult:
        """Run a backend action the model called. Its result is streamed and stored, and reaches the model
        on the client's next request (the model is not called again within this one)."""
        assert call.tool_name is not None
        text = "".join(call.parts)
        arguments = parse_json_object(text) if text.strip() else {}
        if arguments is None:
            outcome = ActionOutcome(error_code="INVALID_ARGUMENTS", error_message="Failed to parse action arguments")
        else:
            outcome = await self.actions.execute(call.tool_name, arguments, run.request)
        result = ResultMessage(
            id=f"result-{call.message_id}",
            created_at=self.clock.now(),
            action_execution_id=call.message_id,
            action_name=call.tool_name,
            result=outcome.as_result_text(),
        )
        await self._store(run, [result])
        return ToolCallResult(result.id, call.message_id, call.tool_name, result.result)

    async def _store(self, run: _Run, messages: list[Message]) -> None:
        run.outputs.extend(messages)
        await self.store.save_messages(run.thread_id, messages, principal=run.principal)

    async def _track(self, run: _Run, event: RunEvent) -> _Open | None:
        """Follow the model's messages; store each one that ends, and return it."""
        open_messages = run.open_messages
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
                    await self._store(run, [self._message(done, MessageStatus.SUCCESS)])
                return done
            case _:
                pass
        return None

    async def _store_cut_off(self, run: _Run) -> None:
        if run.open_messages:
            cut = [self._message(item, MessageStatus.FAILED) for item in run.open_messages.values()]
            run.open_messages.clear()
            await self._store(run, cut)

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
