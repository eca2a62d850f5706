"""List every agent a client may route to."""

from __future__ import annotations

from dataclasses import dataclass, field

from agui_runtime.application.ports import AgentRunner, RequestHooks
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.domain.agents import AgentDescriptor


@dataclass(frozen=True, slots=True)
class ListAgentsQuery:
    request: RequestContext = field(default_factory=RequestContext)


@dataclass(frozen=True, slots=True)
class ListAgents:
    """Every configured agent in configuration order. The whole list, never a partial one: clients
    treat a non-empty list as complete and flag any agent missing from it."""

    agents: AgentRunner
    hooks: RequestHooks

    async def __call__(self, query: ListAgentsQuery) -> list[AgentDescriptor]:
        await self.hooks.before_request(BeforeRequest("availableAgents", query.request))
        return list(await self.agents.list_agents(query.request))
