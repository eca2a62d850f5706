"""The opening every run shares, a chat turn or an agent turn: the request's limits, its ids, the
`on_before_request` hook and the principal it names, the thread's access rule, the tools offered and the
report of the run. The order is a rule (which refusal wins when several apply):
limits -> ids -> `on_before_request` -> the use-case's own check -> thread access -> tools."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass

from agui_runtime.application.errors import AccessDenied
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.ports import Clock, IdGenerator, RequestHooks, ThreadStore
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.application.use_cases.recording import RunRecorder, reported
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import RunEvent
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.tools import ToolDefinition

NO_PARAMETERS: JsonObject = {"type": "object", "properties": {}, "required": []}


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A started run, chat or agent: ids are known at once; `events` yields until RunFinished or RunFailed."""

    thread_id: str
    run_id: str
    events: AsyncIterator[RunEvent]


@dataclass(frozen=True, slots=True)
class OpenedTurn:
    """A request let in: its ids (the client's, or new ones), the request with the principal the hook
    named, its messages, the agent it names (None for a chat with the model) and its run's recorder."""

    thread_id: str
    run_id: str
    request: RequestContext
    inputs: tuple[Message, ...]
    agent_name: str | None
    recorder: RunRecorder


@dataclass(frozen=True, slots=True)
class TurnOpening:
    """The shared steps, each called by the use-case in the order above (its own check goes between
    `open` and `check_access`)."""

    store: ThreadStore
    clock: Clock
    ids: IdGenerator
    hooks: RequestHooks
    limits: RunLimits

    async def open(
        self,
        operation: str,
        request: RequestContext,
        messages: tuple[Message, ...],
        thread_id: str | None,
        run_id: str | None,
        agent_name: str | None = None,
    ) -> OpenedTurn:
        """A request over the limits is refused first; then `on_before_request` may refuse it or name its
        principal."""
        self.limits.check(messages)
        thread = thread_id or self.ids.new_id()
        run = run_id or self.ids.new_id()
        before = BeforeRequest(
            operation, request, thread_id=thread, run_id=run, agent_name=agent_name, input_messages=messages
        )
        admitted = request.for_principal(await self.hooks.before_request(before))
        recorder = RunRecorder(self.store, self.clock, thread, admitted)
        return OpenedTurn(thread, run, admitted, messages, agent_name, recorder)

    async def check_access(self, turn: OpenedTurn) -> None:
        await check_thread_access(self.store, turn.thread_id, turn.request.principal)

    def report(self, turn: OpenedTurn, events: AsyncGenerator[RunEvent, None]) -> AsyncIterator[RunEvent]:
        """The run's events, recorded and reported (`on_after_request`), cut off past `max_run_seconds`."""
        return reported(
            events, turn.recorder, self.hooks, turn.run_id, turn.inputs, turn.agent_name, self.limits.max_run_seconds
        )


async def check_thread_access(store: ThreadStore, thread_id: str, principal: str | None) -> None:
    """Refuse, before anything is stored or run, a thread that another principal owns."""
    existing = await store.get_thread(thread_id, with_messages=False)
    if existing is not None and not existing.accessible_by(principal):
        raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")


def offered_tools(
    backend: tuple[ToolDefinition, ...], agents: Iterable[AgentDescriptor], client: tuple[ToolDefinition, ...]
) -> tuple[ToolDefinition, ...]:
    """What a run is offered: the backend actions, the agents (as tools with no parameters: a call starts
    the agent), then the client's tools; each name once, the first kept (server-side tools win a clash)."""
    agent_tools = tuple(ToolDefinition(agent.name, agent.description, NO_PARAMETERS) for agent in agents)
    seen: set[str] = set()
    kept = []
    for tool in backend + agent_tools + client:
        if tool.name not in seen:
            seen.add(tool.name)
            kept.append(tool)
    return tuple(kept)
