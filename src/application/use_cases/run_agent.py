"""One agent turn (the client's `agentSession`): the request goes to the agent it names, whose events
are streamed back, its state kept per (thread, agent)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from agui_runtime.application.errors import AgentNotFound, ApplicationError
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.ports import (
    ActionRegistry,
    AgentRunner,
    AgentRunRequest,
    Clock,
    IdGenerator,
    RequestHooks,
    ThreadStore,
)
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.application.turns import StartedRun, TurnOpening, offered_tools
from agui_runtime.application.use_cases.agent_relay import AgentSession, relay_agent
from agui_runtime.application.use_cases.recording import RunRecorder, failures_as_events
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
)
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.tools import ToolDefinition

logger = logging.getLogger("agui_runtime.agents")

EXIT_EVENT = "Exit"


@dataclass(frozen=True, slots=True)
class AgentTurn:
    """A converted agent request. `state` is the client's latest state of the agent (`agentStates`),
    None when it sent none; `resume` answers an interrupt (the first meta event's `response`)."""

    agent_name: str
    messages: tuple[Message, ...]
    thread_id: str | None = None
    run_id: str | None = None
    node_name: str | None = None
    tools: tuple[ToolDefinition, ...] = ()
    state: JsonObject | None = None
    config: JsonObject = field(default_factory=dict)
    context: tuple[tuple[str, str], ...] = ()
    resume: str | None = None
    request: RequestContext = field(default_factory=RequestContext)
    resume_entries: tuple[JsonObject, ...] = ()
    operation: str = "generateCopilotResponse"


@dataclass(frozen=True, slots=True)
class RunAgent:
    """Rules:
    - `on_before_request` and thread scoping as for a chat turn; an agent that is not configured is
      `AgentNotFound` for this request only.
    - The agent receives the client's state of it when sent, else the stored one; every other agent and
      every backend action as tools, then the frontend actions (first name wins); the request's
      properties at the top level of `forwardedProps`, and `command.resume` when answering an interrupt.
    - Its events stream until the agent itself ends the run; a frontend tool call does not end it.
      Backend actions it calls are run by the runtime. Each state snapshot is stored for (thread, agent)
      and sent as an `AgentStateChanged` (`running` stays true until the agent sends the `Exit` event).
    - A failure of the agent ends the run with `RunFailed`; what was stored stays stored."""

    agents: AgentRunner
    store: ThreadStore
    clock: Clock
    ids: IdGenerator
    actions: ActionRegistry
    hooks: RequestHooks
    limits: RunLimits = field(default_factory=RunLimits)

    async def __call__(self, turn: AgentTurn) -> StartedRun:
        opening = TurnOpening(self.store, self.clock, self.ids, self.hooks, self.limits)
        opened = await opening.open(
            turn.operation, turn.request, turn.messages, turn.thread_id, turn.run_id, turn.agent_name
        )
        agents = list(await self.agents.list_agents(opened.request))
        if turn.agent_name not in [agent.name for agent in agents]:
            raise AgentNotFound(turn.agent_name, [agent.name for agent in agents])
        await opening.check_access(opened)
        key = AgentStateKey(opened.thread_id, turn.agent_name)
        if turn.state is not None:
            state = turn.state
        else:
            stored = await self.store.load_state(key)
            state = stored.values if stored is not None else {}
        backend = tuple(await self.actions.definitions())
        others = [agent for agent in agents if agent.name != turn.agent_name]
        run_request = AgentRunRequest(
            agent_name=turn.agent_name,
            thread_id=opened.thread_id,
            run_id=opened.run_id,
            messages=turn.messages,
            state=state,
            tools=offered_tools(backend, others, turn.tools),
            context=turn.context,
            config=turn.config,
            resume=turn.resume,
            resume_entries=turn.resume_entries,
            node_name=turn.node_name,
            request=opened.request,
        )
        session = AgentSession(key, opened.run_id, turn.node_name or "", state)
        backend_names = frozenset(tool.name for tool in backend)
        events = self._run(run_request, opened.recorder, session, backend_names)
        return StartedRun(opened.thread_id, opened.run_id, opening.report(opened, events))

    async def _run(
        self, run: AgentRunRequest, recorder: RunRecorder, session: AgentSession, backend: frozenset[str]
    ) -> AsyncGenerator[RunEvent, None]:
        try:
            new = await self.store.save_messages(run.thread_id, run.messages, principal=recorder.request.principal)
        except ApplicationError as error:
            yield RunFailed(error.code, error.message)
            return
        yield RunStarted(run.thread_id, run.run_id, tuple(message for message in run.messages if message.id in new))
        relay = relay_agent(self.agents, self.store, self.actions, run, recorder, session, backend)
        async with closed_after(failures_as_events(relay, recorder, f"Agent '{run.agent_name}'")) as events:
            async for event in events:
                yield event
                if isinstance(event, RunFailed):
                    return
        if session.finished:
            yield RunFinished(run.thread_id, run.run_id, session.outcome, session.result)
