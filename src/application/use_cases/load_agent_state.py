"""Load what a thread holds for one agent: its state and the conversation."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.errors import AgentNotFound
from application.ports import AgentRunner, ThreadStore
from domain.agent_state import AgentStateKey
from domain.json import JsonObject
from domain.messages import Message


@dataclass(frozen=True, slots=True)
class LoadAgentStateQuery:
    thread_id: str
    agent_name: str


@dataclass(frozen=True, slots=True)
class AgentStateView:
    thread_id: str
    thread_exists: bool
    state: JsonObject = field(default_factory=dict)
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadAgentState:
    """The agent must exist (else `AgentNotFound`, naming the agents that do). The thread exists once it
    has a message or this agent has state in it; messages come in thread order without agent-state
    snapshots. An unknown thread is not an error: it is an empty view."""

    agents: AgentRunner
    store: ThreadStore

    async def __call__(self, query: LoadAgentStateQuery) -> AgentStateView:
        names = [agent.name for agent in await self.agents.list_agents()]
        if query.agent_name not in names:
            raise AgentNotFound(query.agent_name, names)
        thread = await self.store.get_thread(query.thread_id) if query.thread_id else None
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
