"""The ports: what a use-case needs from the outside world, in domain terms only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from agui_runtime.application.requests import AfterRequest, BeforeRequest, RequestContext
from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import RunEvent
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.run import RunRecord
from agui_runtime.domain.thread import Thread, ThreadPage
from agui_runtime.domain.tools import ActionOutcome, ChatRequest, ToolDefinition


class ThreadStore(Protocol):
    """Threads, their messages and per-(thread, agent) state; every method is atomic."""

    async def get_thread(self, thread_id: str, *, with_messages: bool = True) -> Thread | None:
        """The thread with its messages in thread order (none read when `with_messages` is off: an
        ownership check needs only the thread), or None when it was never written."""
        ...

    async def save_messages(
        self, thread_id: str, messages: Sequence[Message], *, principal: str | None = None
    ) -> frozenset[str]:
        """Upsert `messages` by id into the thread, creating the thread owned by `principal` when it is
        new; raise `AccessDenied`, writing nothing, when the thread is not accessible to `principal`
        (`Thread.accessible_by`). Check and write are one atomic step. Returns the ids of the messages
        that were new to the thread."""
        ...

    async def load_state(self, key: AgentStateKey) -> AgentState | None:
        """The agent's state for the thread, or None when it was never written."""
        ...

    async def save_state(self, key: AgentStateKey, values: JsonObject, *, expected_version: int | None) -> AgentState:
        """Write the next version; raise `Conflict` when `expected_version` is not the stored one
        (None writes unconditionally)."""
        ...

    async def save_run(self, run: RunRecord) -> None:
        """Insert or replace the record of a run (by id)."""
        ...

    async def get_run(self, run_id: str) -> RunRecord | None: ...

    async def list_runs(self, thread_id: str) -> Sequence[RunRecord]:
        """The thread's runs, with their events, in the order they started."""
        ...

    async def list_threads(
        self,
        principal: str | None,
        *,
        limit: int,
        before: tuple[datetime, str] | None = None,
        agent: AgentFilter | None = None,
    ) -> ThreadPage:
        """The principal's threads (for None: the anonymous ones), newest first (creation time, then id),
        those after `before` only; with `agent`, only threads where that agent ran."""
        ...

    async def delete_threads(self, principal: str | None) -> int:
        """Delete the principal's threads (for None: the anonymous ones) with their messages, states and
        runs; return how many."""
        ...

    async def ping(self) -> None:
        """Return when the store answers; raise `UpstreamUnavailable` otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """Threads where this agent ran; `agent_name` None is the chat model."""

    agent_name: str | None


class ChatModel(Protocol):
    """A language model that streams its answer to one request as run events."""

    def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        """Events of one model call: text and tool-call events, then nothing (the use-case ends the run)."""
        ...


@dataclass(frozen=True, slots=True)
class AgentRunRequest:
    """One agent run. `config` is the client's config of the agent; `resume` answers an interrupt (the v1
    meta event's response); `resume_entries` the v2 client's answers to the interrupts the last run ended
    with (`{interruptId, status, payload}`), passed on as sent; `node_name` is the node the client's
    session is in. Each agent adapter puts them on its own wire."""

    agent_name: str
    thread_id: str
    run_id: str
    messages: tuple[Message, ...]
    state: JsonObject = field(default_factory=dict)
    tools: tuple[ToolDefinition, ...] = ()
    context: tuple[tuple[str, str], ...] = ()
    config: JsonObject = field(default_factory=dict)
    resume: str | None = None
    node_name: str | None = None
    request: RequestContext = field(default_factory=RequestContext)
    resume_entries: tuple[JsonObject, ...] = ()


@dataclass(frozen=True, slots=True)
class ExternalAgentState:
    """A thread as an agent that keeps its own threads reports it; `messages` in the client's legacy
    JSON form, passed through."""

    thread_exists: bool
    state: JsonObject = field(default_factory=dict)
    messages: tuple[JsonObject, ...] = ()


class AgentRunner(Protocol):
    """The agents this runtime can route to, and how to run one of them."""

    async def list_agents(self, request: RequestContext) -> Sequence[AgentDescriptor]:
        """Every agent there is for `request` (the configured ones, in configuration order, then those an
        agents factory gives for it)."""
        ...

    async def external_state(
        self, agent_name: str, thread_id: str, request: RequestContext
    ) -> ExternalAgentState | None:
        """The thread as the agent itself keeps it, for agents that do (legacy remote endpoints); None
        when the runtime's own store holds it."""
        ...

    def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        """The events of one agent run, ending with `RunFinished` or `RunFailed`."""
        ...


class ActionRegistry(Protocol):
    """Backend actions: tools the runtime executes itself."""

    async def definitions(self) -> Sequence[ToolDefinition]:
        """Every backend action as a tool (a remote endpoint's may need asking)."""
        ...

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        """Run the named action with `arguments` (a JSON object) for `request`; failures come back as an outcome with a
        code (INVALID_ARGUMENTS, HANDLER_ERROR, HANDLER_TIMEOUT), never as an exception."""
        ...


class RequestHooks(Protocol):
    """The user's request middleware."""

    async def before_request(self, request: BeforeRequest) -> str | None:
        """The principal the request is for (None: anonymous); raise `RequestRejected` to refuse it."""
        ...

    def after_request(self, report: AfterRequest) -> None:
        """Hand over the report of an ended run and return at once: the hook runs in the background,
        never delaying a response, and its failures are logged, never raised."""
        ...


class Guardrails(Protocol):
    """Judges whether a user message may be answered, before the model is asked."""

    async def check(self, case: GuardrailsCase, request: RequestContext) -> GuardrailsVerdict:
        """The verdict; raise `GuardrailsUnavailable` when none can be given (the run then fails closed)."""
        ...


class Claim(StrEnum):
    CLAIMED = "claimed"
    THREAD_BUSY = "thread_busy"  # another run is live on the thread
    RUN_EXISTS = "run_exists"  # the run id is live, or was lately, on some thread


class LiveRuns(Protocol):
    """Runs in flight and their events, shared by every replica that serves the same store: a thread's live
    run can be followed or stopped from any of them. One run per thread at a time."""

    async def claim(self, thread_id: str, run_id: str) -> Claim:
        """Make `run_id` the thread's live run, unless another run holds the thread or the id is taken. A stop
        requested from then on is kept for `stop_requested`."""
        ...

    async def publish(self, run_id: str, event: RunEvent) -> None:
        """Append an event to the run's stream."""
        ...

    async def release(self, thread_id: str, run_id: str, last: RunEvent | None = None) -> None:
        """Append `last` (the run's terminal event), end the run's stream and free the thread, as one step:
        a follower that sees `last` finds the thread free (a client may start its next run at once). The
        run's record is stored by then."""
        ...

    async def active_run(self, thread_id: str) -> str | None:
        """The thread's live run, if one is in flight."""
        ...

    def follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        """The run's events from its first, then as they come, until it is released; nothing for a run that
        is not live. The run is looked up when this is called, not at the first read. When the replica
        running it dies, or the channel fails, the events end with a `RunFailed` (`RUN_LOST`), never
        abruptly; a silence of any length is not a failure."""
        ...

    async def request_stop(self, thread_id: str, run_id: str | None) -> str | None:
        """Ask the replica running the thread's live run to stop it (only if it is `run_id`, when given);
        the id of the run asked to stop, or None when there was none."""
        ...

    async def stop_requested(self, run_id: str) -> None:
        """Return once a stop of the run has been requested, from any replica."""
        ...


class JsonPatcher(Protocol):
    def apply(self, document: JsonObject, patch: list[JsonObject]) -> JsonObject:
        """`document` with the RFC 6902 `patch` applied, `document` itself left as it was; a patch that
        does not apply, or that leaves something other than a JSON object, raises `ValueError` saying why."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware (UTC)."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A fresh id, unique across processes."""
        ...
