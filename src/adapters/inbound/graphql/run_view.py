"""A run seen as a GraphQL response: one task consumes the run's domain events and fills the progress
buffers the response's resolvers read. Closing the view cancels the run (and so the upstream call)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from agui_runtime.adapters.inbound.graphql.enums import FailedResponseStatusReason, MessageRole, MetaEventName
from agui_runtime.adapters.inbound.graphql.errors import presentation
from agui_runtime.adapters.inbound.graphql.outputs import (
    ActionExecutionMessageOutput,
    AgentStateMessageOutput,
    BaseMessageOutput,
    CopilotKitLangGraphInterruptEvent,
    CopilotKitLangGraphInterruptEventData,
    FailedMessageStatus,
    FailedResponseStatus,
    LangGraphInterruptEvent,
    MessageStatusValue,
    ResponseProgress,
    ResultMessageOutput,
    SuccessMessageStatus,
    SuccessResponseStatus,
    TextMessageOutput,
)
from agui_runtime.adapters.inbound.graphql.progress import MessageProgress
from agui_runtime.adapters.inbound.graphql.scalars import JSON, DateTimeISO
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
    AgentStateChanged,
    CustomEvent,
    RunEvent,
    RunFailed,
    RunFinished,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.run import Run

logger = logging.getLogger("agui_runtime.graphql")

# AG-UI custom event names that carry a LangGraph interrupt (the first is ag-ui-langgraph's).
INTERRUPT_EVENTS = frozenset({"on_interrupt", "LangGraphInterruptEvent"})
COPILOTKIT_INTERRUPT_EVENTS = frozenset({"on_copilotkit_interrupt", "CopilotKitLangGraphInterruptEvent"})
TEXT_CUT_OFF = "Error streaming message content"
ARGUMENTS_CUT_OFF = "An unknown error has occurred in the action execution argument stream"
ENDED_WITHOUT_FINISH = "The run ended without finishing"


class RunView:
    def __init__(self, events: AsyncIterator[RunEvent], thread_id: str = "") -> None:
        self._events = events
        self._thread_id = thread_id
        self.progress = ResponseProgress()
        self._run = Run()  # which messages are open; their parts are shared with their progress
        self._progress: dict[str, MessageProgress[MessageStatusValue]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopped: tuple[ErrorCode, str] | None = None
        self._closing: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._consume())

    async def close(self) -> None:
        """Stop the run if it is still going (the client left or the response ended early). Closers may
        race (a shutdown and the response ending): they share one closing."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    async def stop(self, code: ErrorCode, message: str) -> None:
        """End the run now with a failed status the client still receives (server shutdown)."""
        self._stopped = (code, message)
        await self.close()

    async def _consume(self) -> None:
        try:
            async for event in self._events:
                self._apply(event)
                # Let the readers send what just arrived: when upstream tokens are already buffered this
                # loop would otherwise run ahead and hold back the first payloads until it caught up.
                await asyncio.sleep(0)
        except Exception as exc:
            logger.error("run event stream failed: UNKNOWN (%s)", type(exc).__name__)
            logger.debug("trace of the run event stream failure", exc_info=exc)
            self._fail(ErrorCode.UNKNOWN, "The run failed unexpectedly; the server log has the details.")
        finally:
            if self.progress.status is None:
                self._fail(*(self._stopped or (ErrorCode.UNKNOWN, ENDED_WITHOUT_FINISH)))

    def _apply(self, event: RunEvent) -> None:
        match event:
            case TextMessageStarted():
                progress = self._start(event)
                if progress is None:
                    return
                self.progress.add_message(
                    TextMessageOutput(
                        id=event.message_id,
                        created_at=DateTimeISO(_now()),
                        progress=progress,
                        role=MessageRole(event.role.value),
                        parent_message_id=event.parent_message_id,
                    )
                )
            case ToolCallStarted():
                progress = self._start(event)
                if progress is None:
                    return
                self.progress.add_message(
                    ActionExecutionMessageOutput(
                        id=event.tool_call_id,
                        created_at=DateTimeISO(_now()),
                        progress=progress,
                        name=event.tool_name,
                        parent_message_id=event.parent_message_id,
                    )
                )
            case TextMessageChunk() | ToolCallArgs():
                if self._run.apply(event) is not None:
                    self.progress.broadcast.notify()  # the part is in the message's (shared) parts
            case TextMessageEnded() | ToolCallEnded():
                ended = self._run.apply(event)
                if ended is not None:
                    self._progress.pop(ended.message_id).finish(SuccessMessageStatus())
            case ToolCallResult():
                done = MessageProgress[MessageStatusValue](self.progress.broadcast, status=SuccessMessageStatus())
                self.progress.add_message(
                    ResultMessageOutput(
                        id=event.message_id,
                        created_at=DateTimeISO(_now()),
                        progress=done,
                        action_execution_id=event.tool_call_id,
                        action_name=event.tool_name,
                        result=event.content,
                    )
                )
            case AgentStateChanged():
                self.progress.add_message(
                    AgentStateMessageOutput(
                        id=f"ck-{uuid.uuid4()}",
                        created_at=DateTimeISO(_now()),
                        progress=MessageProgress[MessageStatusValue](
                            self.progress.broadcast, status=SuccessMessageStatus()
                        ),
                        thread_id=self._thread_id,
                        agent_name=event.agent_name,
                        node_name=event.node_name,
                        run_id=event.run_id,
                        active=event.active,
                        role=MessageRole.assistant,
                        state=json.dumps(event.state, ensure_ascii=False, separators=(",", ":")),
                        running=event.running,
                    )
                )
            case CustomEvent(name=name, value=value) if name in INTERRUPT_EVENTS:
                self.progress.add_meta_event(
                    LangGraphInterruptEvent(
                        type="MetaEvent", name=MetaEventName.LangGraphInterruptEvent, value=_text(value)
                    )
                )
            case CustomEvent(name=name, value=value) if name in COPILOTKIT_INTERRUPT_EVENTS:
                self.progress.add_meta_event(self._copilotkit_interrupt(value))
            case RunFinished():
                self._cut_open()
                self.progress.finish(SuccessResponseStatus())
            case RunFailed(code=code, message=message):
                self._fail(code, message)
            case _:
                pass

    def _copilotkit_interrupt(self, value: object) -> CopilotKitLangGraphInterruptEvent:
        """The interrupt with the messages it carries (typically an action the frontend runs): texts and
        action calls become messages; anything else is left out (the reference threw on it)."""
        payload = value if isinstance(value, dict) else {"value": value}
        items = payload.get("messages")
        messages: list[BaseMessageOutput] = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            done = MessageProgress[MessageStatusValue](self.progress.broadcast, status=SuccessMessageStatus())
            message_id = str(item.get("id") or f"ck-{uuid.uuid4()}")
            if "content" in item and "role" in item:
                done.parts.append(_text(item["content"]))
                role = (
                    MessageRole(item["role"])
                    if item["role"] in MessageRole._value2member_map_
                    else MessageRole.assistant
                )
                messages.append(
                    TextMessageOutput(id=message_id, created_at=DateTimeISO(_now()), progress=done, role=role)
                )
            elif "arguments" in item:
                done.parts.append(_text(item["arguments"]))
                name = str(item.get("name", ""))
                messages.append(
                    ActionExecutionMessageOutput(
                        id=message_id, created_at=DateTimeISO(_now()), progress=done, name=name
                    )
                )
        data = CopilotKitLangGraphInterruptEventData(value=_text(payload.get("value")), messages=messages)
        return CopilotKitLangGraphInterruptEvent(
            type="MetaEvent", name=MetaEventName.CopilotKitLangGraphInterruptEvent, data=data
        )

    def _start(self, event: TextMessageStarted | ToolCallStarted) -> MessageProgress[MessageStatusValue] | None:
        """The progress of a message that opens; None for one already open (its start is not repeated)."""
        message = self._run.apply(event)
        if message is None:
            return None
        progress = MessageProgress[MessageStatusValue](self.progress.broadcast, parts=message.parts)
        self._progress[message.message_id] = progress
        return progress

    def _cut_open(self, why: str | None = None) -> None:
        for message in self._run.cut_off():
            reason = why or (TEXT_CUT_OFF if message.tool_name is None else ARGUMENTS_CUT_OFF)
            self._progress.pop(message.message_id).finish(FailedMessageStatus(reason=reason))

    def _fail(self, code: ErrorCode | str, message: str) -> None:
        if code == ErrorCode.GUARDRAILS_VALIDATION_FAILED:
            # react-core replaces the answer with an assistant message carrying `guardrailsReason`.
            self._cut_open(message)
            details: dict[str, object] = {"guardrailsReason": message}
            reason = FailedResponseStatusReason.GUARDRAILS_VALIDATION_FAILED
        else:
            self._cut_open()
            status, visibility, severity = presentation(code)
            original = {"code": code, "statusCode": status, "visibility": visibility, "severity": severity}
            details = {"description": message, "originalError": {**original, "message": message}}
            reason = FailedResponseStatusReason.UNKNOWN_ERROR
        self.progress.finish(FailedResponseStatus(reason=reason, details=JSON(details)))


def _text(value: object) -> str:
    """Interrupt values go out as text: a string as it is, anything else as JSON (the client parses it)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _now() -> datetime:
    return datetime.now(UTC)


class ActiveRuns:
    """The runs being streamed now, so a shutdown can end them with a status instead of a cut connection."""

    def __init__(self) -> None:
        self._views: set[RunView] = set()

    def __len__(self) -> int:
        return len(self._views)

    def track(self, view: RunView) -> None:
        self._views.add(view)

    def forget(self, view: RunView) -> None:
        self._views.discard(view)

    async def stop_all(self, code: ErrorCode, message: str) -> None:
        await asyncio.gather(*(view.stop(code, message) for view in list(self._views)))
