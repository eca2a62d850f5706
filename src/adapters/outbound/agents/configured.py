"""The agents named in the configuration, each run through the adapter of its kind.

Every kind ends in AG-UI events, translated to run events in one place (`adapters.agui_wire`). Listing
the agents needs no I/O, so `availableAgents` is exact and its ids stable (id = name)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from ag_ui.core import RunAgentInput

from adapters.agui_wire import EventTranslator, run_agent_input
from application.errors import AgentNotFound, ConfigurationError
from application.ports import AgentRunner, AgentRunRequest
from application.streams import closed_after
from domain.agents import AgentDescriptor
from domain.events import RunEvent

logger = logging.getLogger("agui_runtime.agents")


class AguiAgent(Protocol):
    """One agent that answers a `RunAgentInput` with AG-UI events (models, or their JSON objects)."""

    def events(self, run_input: RunAgentInput) -> AsyncIterator[Any]: ...


class Unsupported(AguiAgent):
    """A configured kind this version cannot run yet: it fails the run clearly instead of hanging."""

    def __init__(self, name: str, kind: str) -> None:
        self._message = f"Agent '{name}' is of kind '{kind}', which this version of agui-runtime cannot run yet."

    async def events(self, run_input: RunAgentInput) -> AsyncIterator[Any]:
        if self._message:
            raise ConfigurationError(self._message)
        yield  # never reached: the yield makes this an async generator


class ConfiguredAgents(AgentRunner):
    def __init__(self, agents: Sequence[tuple[AgentDescriptor, AguiAgent]]) -> None:
        self._agents = list(agents)
        self._by_name = {descriptor.name: agent for descriptor, agent in agents}

    async def list_agents(self) -> Sequence[AgentDescriptor]:
        return [descriptor for descriptor, _ in self._agents]

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        agent = self._by_name.get(request.agent_name)
        if agent is None:
            raise AgentNotFound(request.agent_name, list(self._by_name))
        translator = EventTranslator(request.agent_name, request.state)
        async with closed_after(agent.events(run_agent_input(request))) as agent_events:
            async for raw in agent_events:
                for event in translator.translate(raw):
                    yield event
