"""List every agent a client may route to."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import AgentRunner
from domain.agents import AgentDescriptor


@dataclass(frozen=True, slots=True)
class ListAgentsQuery:
    pass


@dataclass(frozen=True, slots=True)
class ListAgents:
    """Every configured agent in configuration order. The whole list, never a partial one: clients
    treat a non-empty list as complete and flag any agent missing from it."""

    agents: AgentRunner

    async def __call__(self, query: ListAgentsQuery) -> list[AgentDescriptor]:
        return list(await self.agents.list_agents())
