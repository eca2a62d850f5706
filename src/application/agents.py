"""The agent catalogue: which agents a client may route to, the built-in `default` among them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agui_runtime.application.errors import AgentNotFound
from agui_runtime.application.ports import AgentRunner, ChatModel
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.agents import AgentDescriptor

DEFAULT_AGENT = "default"
DEFAULT_DESCRIPTION = "The configured chat model with the runtime's backend actions."


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One agent as a client lists it. `built_in` is the chat model served as an agent."""

    id: str
    name: str
    description: str
    built_in: bool = False


@dataclass(frozen=True, slots=True)
class AgentCatalogue:
    """Rules:
    - The configured agents exist, in configuration order.
    - `default` exists when a chat model is configured: the chat model and the backend actions served as
      an agent, listed first. It wins over a configured agent of that name, which only lends the listing
      its entry.
    - A thread without an agent is the chat model's; it is listed under `default`."""

    agents: AgentRunner
    chat_model: ChatModel | None

    def is_default(self, agent_id: str) -> bool:
        """`agent_id` names the built-in agent (the chat model), not a configured one."""
        return agent_id == DEFAULT_AGENT and self.chat_model is not None

    def agent_name(self, agent_id: str) -> str | None:
        """The configured agent `agent_id` routes to; None for the built-in one."""
        return None if self.is_default(agent_id) else agent_id

    @staticmethod
    def agent_id(agent_name: str | None) -> str:
        """The id a thread's agent is listed under: a thread without one belongs to `default`."""
        return agent_name or DEFAULT_AGENT

    def entries(self, configured: Sequence[AgentDescriptor]) -> list[CatalogueEntry]:
        """The catalogue over `configured` (the list `ListAgents` gave after the request's hooks)."""
        listed: dict[str, CatalogueEntry] = {}
        if self.chat_model is not None:
            listed[DEFAULT_AGENT] = CatalogueEntry(DEFAULT_AGENT, DEFAULT_AGENT, DEFAULT_DESCRIPTION, built_in=True)
        for agent in configured:
            listed[agent.id] = CatalogueEntry(agent.id, agent.name, agent.description)
        return list(listed.values())

    async def require(self, agent_id: str, request: RequestContext) -> None:
        """Raises `AgentNotFound`, naming every agent that exists for `request`, unless `agent_id` is one."""
        if self.is_default(agent_id):
            return
        names = [agent.name for agent in await self.agents.list_agents(request)]
        if agent_id not in names:
            raise AgentNotFound(agent_id, [DEFAULT_AGENT, *names] if self.chat_model is not None else names)

    async def exists(self, agent_id: str, request: RequestContext) -> bool:
        try:
            await self.require(agent_id, request)
        except AgentNotFound:
            return False
        return True
