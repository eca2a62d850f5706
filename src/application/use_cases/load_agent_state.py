"""Load what a thread holds for one agent: its state and the conversation."""

from __future__ import annotations

from dataclasses import dataclass, field

from agui_runtime.application.errors import AgentNotFound
from agui_runtime.application.ports import AgentRunner, RequestHooks, ThreadStore
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message


@dataclass(frozen=True, slots=True)
class LoadAgentStateQuery:
    thread_id: str
    agent_name: str
    request: RequestContext = field(default_factory=RequestContext)


@dataclass(frozen=True, slots=True)
class AgentStateView:
    thread_id: str
    thread_exists: bool
    state: JsonObject = field(default_factory=dict)
    messages: tuple[Message, ...] = ()
    legacy_messages: tuple[JsonObject, ...] | None = None


@dataclass(frozen=True, slots=True)
class LoadAgentState:
    """The agent must exist (else `AgentNotFound`, naming the agents that do). The thread exists once it
    has a message or this agent has state in it; messages come in thread order without agent-state
    snapshots. An unknown thread is not an error: it is an empty view. A thread another principal owns
    reads as unknown, so its existence is not revealed either."""

    agents: AgentRunner
    store: ThreadStore
    hooks: RequestHooks

    async def __call__(self, query: LoadAgentStateQuery) -> AgentStateView:
        before = BeforeRequest("loadAgentState", query.request, thread_id=query.thread_id, agent_name=query.agent_name)
        principal = await self.hooks.before_request(before)
        names = [agent.name for agent in await self.agents.list_agents(query.request)]
        if query.agent_name not in names:
            raise AgentNotFound(query.agent_name, names)
        thread = await self.store.get_thread(query.thread_id) if query.thread_id else None
        if thread is not None and not thread.accessible_by(principal):
            return AgentStateView(thread_id=query.thread_id, thread_exists=False)
        request = query.request.for_principal(principal)
        # An agent that keeps its own threads cannot tell whose they are: with a principal, only a thread
        # this runtime knows belongs to it is asked for.
        known = thread is not None or principal is None
        external = await self.agents.external_state(query.agent_name, query.thread_id, request) if known else None
        if external is not None:
            return AgentStateView(
                thread_id=query.thread_id,
                thread_exists=external.thread_exists,
                state=external.state,
                legacy_messages=external.messages,
            )
        state = (
            await self.store.load_state(AgentStateKey(query.thread_id, query.agent_name)) if query.thread_id else None
        )
        history = tuple(thread.history()) if thread else ()
        values = state.values if state else {}
        return AgentStateView(
            thread_id=query.thread_id,
            thread_exists=bool(history) or state is not None,
            state=values,
            messages=history,
        )
