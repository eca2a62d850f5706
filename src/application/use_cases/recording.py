"""What a run produces, followed and stored as it streams: shared by the chat and the agent runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from agui_runtime.application.errors import ApplicationError
from agui_runtime.application.ports import ActionRegistry, Clock, RequestHooks, ThreadStore
from agui_runtime.application.requests import AfterRequest, RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
    ActivityDelta,
    ActivitySnapshot,
    ReasoningEncryptedValue,
    RunEvent,
    RunFailed,
    ToolCallResult,
)
from agui_runtime.domain.json import parse_json_object
from agui_runtime.domain.messages import (
    ActionExecutionMessage,
    ActivityMessage,
    Message,
    MessageStatus,
    ReasoningMessage,
    ResultMessage,
    Role,
    TextMessage,
)
from agui_runtime.domain.run import MessageKind, Run, RunMessage, RunRecord, RunStatus
from agui_runtime.domain.tools import ActionOutcome

logger = logging.getLogger("agui_runtime.runs")


@dataclass(slots=True)
class RunRecorder:
    """Stores each output message of a run when it ends, and what is still open as failed when the run
    is cut off; keeps every output for `on_after_request`. It holds the run's aggregate: the events it
    tracks are applied as it stores them (before a client sees them), the others as the report passes
    them on (`follow`), so each event is folded once."""

    store: ThreadStore
    clock: Clock
    thread_id: str
    request: RequestContext
    outputs: list[Message] = field(default_factory=list)
    run: Run = field(default_factory=Run)
    _tracked: RunEvent | None = field(default=None, init=False, repr=False)

    async def track(self, event: RunEvent) -> RunMessage | None:
        """Follow the run's messages; store each one that ends, and return it."""
        self._tracked = event
        message = self.run.apply(event)
        if message is not None:
            if not message.ended:
                return None
            # An encrypted value after its reasoning message ended stores the message again, with it.
            await self.store_messages([self._message(message, MessageStatus.SUCCESS)])
            return None if isinstance(event, ReasoningEncryptedValue) else message
        if isinstance(event, (ActivitySnapshot, ActivityDelta)):
            activity = self.run.activity(event.message_id)
            if activity is not None:
                await self.store_messages(
                    [
                        ActivityMessage(
                            id=activity.message_id,
                            created_at=self.clock.now(),
                            activity_type=activity.activity_type,
                            content=activity.content,
                            subagent_run_id=activity.subagent_run_id,
                        )
                    ]
                )
            return None
        if isinstance(event, ToolCallResult):
            result = ResultMessage(
                id=event.message_id,
                created_at=self.clock.now(),
                action_execution_id=event.tool_call_id,
                action_name=event.tool_name,
                result=event.content,
            )
            await self.store_messages([result])
        return None

    def follow(self, event: RunEvent) -> None:
        """Apply an event the run streamed to its aggregate, unless `track` just did."""
        if event is self._tracked:
            self._tracked = None
        else:
            self.run.apply(event)

    async def execute(self, actions: ActionRegistry, call: RunMessage) -> ToolCallResult:
        """Run a backend action that was called; its result is stored and returned as an event."""
        assert call.tool_name is not None
        text = call.text
        arguments = parse_json_object(text) if text.strip() else {}
        if arguments is None:
            outcome = ActionOutcome(error_code="INVALID_ARGUMENTS", error_message="Failed to parse action arguments")
        else:
            outcome = await actions.execute(call.tool_name, arguments, self.request)
        return await self.result(call, outcome.as_result_text())

    async def result(self, call: RunMessage, text: str) -> ToolCallResult:
        """The result of a call the runtime answered itself (id `result-<call id>`), stored."""
        assert call.tool_name is not None
        event = ToolCallResult(f"result-{call.message_id}", call.message_id, call.tool_name, text)
        await self.track(event)
        return event

    async def store_messages(self, messages: list[Message]) -> None:
        self.outputs.extend(messages)
        await self.store.save_messages(self.thread_id, messages, principal=self.request.principal)

    async def cut_off(self) -> None:
        """Store what is still open as failed, with what it had (shielded: it also runs on cancellation)."""
        cut = [self._message(item, MessageStatus.FAILED) for item in self.run.cut_off()]
        if cut:
            await asyncio.shield(self.store_messages(cut))

    def _message(self, item: RunMessage, status: MessageStatus) -> Message:
        text = item.text
        if item.kind is MessageKind.REASONING:
            return ReasoningMessage(
                id=item.message_id,
                created_at=self.clock.now(),
                content=text,
                encrypted_value=item.encrypted_value,
                subagent_run_id=item.subagent_run_id,
                status=status,
            )
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


def reported(
    events: AsyncGenerator[RunEvent, None],
    recorder: RunRecorder,
    hooks: RequestHooks,
    run_id: str,
    inputs: tuple[Message, ...],
    agent_name: str | None = None,
    max_seconds: float | None = None,
) -> AsyncIterator[RunEvent]:
    """`events` as they come, the run recorded in the store when it starts and when it ends; however it
    ends, `on_after_request` gets its report afterwards, once. A run still going `max_seconds` after its
    first step is cut off and ends with `RunFailed(RUN_TIMEOUT)`."""
    return _Reported(events, recorder, hooks, run_id, inputs, agent_name, max_seconds)


class _Reported:
    """An async iterator rather than a generator: a generator closed before its first step never runs
    its clean-up, and a run abandoned that early (a response that selected no streamed field) must still
    be reported."""

    def __init__(
        self,
        events: AsyncGenerator[RunEvent, None],
        recorder: RunRecorder,
        hooks: RequestHooks,
        run_id: str,
        inputs: tuple[Message, ...],
        agent_name: str | None,
        max_seconds: float | None = None,
    ) -> None:
        self._events = events
        self._max_seconds = max_seconds
        self._deadline: float | None = None
        self._record = RunRecord(run_id, recorder.thread_id, agent_name, RunStatus.RUNNING, recorder.clock.now())
        self._started = False
        self._recorder = recorder
        self._hooks = hooks
        self._run_id = run_id
        self._inputs = inputs
        self._done = False
        self._reporting: asyncio.Future[None] | None = None

    def __aiter__(self) -> _Reported:
        return self

    async def __anext__(self) -> RunEvent:
        if self._done:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            if self._max_seconds is not None:
                self._deadline = asyncio.get_running_loop().time() + self._max_seconds
            await self._save_run(self._record)
        try:
            async with asyncio.timeout_at(self._deadline):
                event = await self._events.__anext__()
        except TimeoutError:
            # The run went past its limit: what it was doing is cancelled (its upstream call closes, what was
            # open is stored as failed) and it ends here.
            limit = f"{self._max_seconds:g}"
            failed = RunFailed(
                ErrorCode.RUN_TIMEOUT, f"The run took longer than {limit} s (AGUI_MAX_RUN_SECONDS) and was stopped."
            )
            self._recorder.run.apply(failed)
            await self.aclose()
            return failed
        except StopAsyncIteration:
            await self.aclose()
            raise
        except Exception as exc:
            # A failure outside the run's own failure handling (a store, a hook adapter): still a status.
            logger.error("run failed in thread %s: UNKNOWN (%s)", self._recorder.thread_id, type(exc).__name__)
            logger.debug("trace of the UNKNOWN failure", exc_info=exc)
            failed = RunFailed(ErrorCode.UNKNOWN, "The run failed unexpectedly; the server log has the details.")
            self._recorder.run.apply(failed)  # stored with the run, so a replay shows the failure
            await self.aclose()
            return failed
        self._recorder.follow(event)
        return event

    def stopped(self, reason: ErrorCode | RunFailed) -> None:
        """Record the run, when it is closed before its end, as ended for `reason` (not a client that left):
        a code (a user's stop: `STOPPED`), or the failure its followers are told, kept as its last event."""
        run = self._recorder.run
        if run.ended:
            return
        if isinstance(reason, RunFailed):
            run.apply(reason)
        else:
            run.stop(reason)

    def discard(self) -> None:
        """Drop a run that never started (refused before its first event): nothing is recorded or reported."""
        if not self._started:
            self._done = True

    async def settled(self) -> None:
        """Return once the run's record and report are done, when it has ended (they go on shielded when
        the run is cancelled while writing them)."""
        if self._reporting is not None:
            await asyncio.shield(self._reporting)

    async def _save_run(self, record: RunRecord) -> None:
        """Run records are bookkeeping: a store that fails here is logged, the run goes on."""
        try:
            await self._recorder.store.save_run(record)
        except ApplicationError as error:
            logger.warning("run %s not recorded: %s %s", record.id, error.code, error.message)

    async def aclose(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            await self._events.aclose()  # a client that left between events: what was cut off is stored first
        finally:
            # Shielded as one step: the response may end (and cancel its reader) while the run's last record
            # is being written; the record and the report must still happen, once.
            self._reporting = asyncio.ensure_future(self._report())
            await asyncio.shield(self._reporting)

    async def _report(self) -> None:
        ended = self._recorder.run.record(self._record, self._recorder.clock.now())
        try:
            await self._save_run(ended)
        finally:
            recorder = self._recorder
            outputs = tuple(recorder.outputs)
            report = AfterRequest(
                recorder.thread_id, self._run_id, recorder.request, self._inputs, outputs, ended.error_code
            )
            try:
                self._hooks.after_request(report)
            except Exception as exc:
                logger.error("on_after_request could not be scheduled: %s", type(exc).__name__)


async def failures_as_events(
    events: AsyncGenerator[RunEvent, None], recorder: RunRecorder, subject: str
) -> AsyncGenerator[RunEvent, None]:
    """`events` until the first `RunFailed`; a failure while producing them becomes that last event
    (its code, or UNKNOWN with a generic message: `subject` names what failed). What was open is stored
    as failed, also when the reader leaves."""
    try:
        async with closed_after(events) as stream:
            async for event in stream:
                yield event
                if isinstance(event, RunFailed):
                    return
    except ApplicationError as error:
        await recorder.cut_off()
        logger.warning("run failed in thread %s: %s %s", recorder.thread_id, error.code, error.message)
        yield RunFailed(error.code, error.message)
    except (asyncio.CancelledError, GeneratorExit):
        await recorder.cut_off()
        raise
    except Exception as exc:
        # One line with the code by default; the trace only at debug level (it may hold request data).
        logger.error("run failed in thread %s: UNKNOWN (%s)", recorder.thread_id, type(exc).__name__)
        logger.debug("trace of the UNKNOWN failure in thread %s", recorder.thread_id, exc_info=exc)
        await recorder.cut_off()
        yield RunFailed(ErrorCode.UNKNOWN, f"{subject} failed unexpectedly; the server log has the details.")
