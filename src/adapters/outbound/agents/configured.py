"""The agents named in the configuration, each run through the adapter of its kind.

Every kind ends in AG-UI events, translated to run events in one place (`adapters.agui_wire`). Listing
the agents needs no I/O, so `availableAgents` is exact and its ids stable (id = name)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

from agui_runtime.adapters.agui_wire import EventTranslator
from agui_runtime.application.errors import AgentNotFound, ConfigurationError
from agui_runtime.application.ports import AgentRunner, AgentRunRequest, ExternalAgentState
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import RunEvent

logger = logging.getLogger("agui_runtime.agents")


class AguiAgent(Protocol):
    """One agent that answers a run request with AG-UI events (models, or their JSON objects)."""

    def events(self, request: AgentRunRequest) -> AsyncIterator[Any]: ...


class Unsupported(AguiAgent):
    """A configured kind this version cannot run yet: it fails the run clearly instead of hanging."""

    def __init__(self, name: str, kind: str) -> None:
        self._message = f"Agent '{name}' is of kind '{kind}', which this version of agui-runtime cannot run yet."

    async def events(self, request: AgentRunRequest) -> AsyncIterator[Any]:
        if self._message:
            raise ConfigurationError(self._message)
        yield  # never reached: the yield makes this an async generator


class AgentSource(Protocol):
    """Agents found at run time (a legacy endpoint lists its own)."""

    async def agents(self) -> Sequence[tuple[AgentDescriptor, AguiAgent]]: ...

    async def external_state(self, agent_name: str, thread_id: str, request: RequestContext) -> ExternalAgentState:
        """The thread as the source keeps it."""
        ...


Entry = tuple[AgentDescriptor, AguiAgent] | AgentSource
# The agents there are for one request beyond the configured ones (an agents factory given in code).
PerRequest = Callable[[RequestContext], Awaitable[Sequence[tuple[AgentDescriptor, AguiAgent]]]]


class ConfiguredAgents(AgentRunner):
    """`entries` in configuration order: an agent, or a source whose agents take its place; then what
    `per_request` gives for the request, an agent of a configured name taking that one's place."""

    def __init__(self, entries: Sequence[Entry], per_request: PerRequest | None = None) -> None:
        self._entries = list(entries)
        self._per_request = per_request

    async def _resolved(self, request: RequestContext) -> list[tuple[AgentDescriptor, AguiAgent, AgentSource | None]]:
        resolved: list[tuple[AgentDescriptor, AguiAgent, AgentSource | None]] = []
        for entry in self._entries:
            if isinstance(entry, tuple):
                resolved.append((entry[0], entry[1], None))
            else:
                resolved.extend((descriptor, agent, entry) for descriptor, agent in await entry.agents())
        if self._per_request is not None:
            given = await self._per_request(request)
            names = {descriptor.name for descriptor, _ in given}
            resolved = [item for item in resolved if item[0].name not in names]
            resolved.extend((descriptor, agent, None) for descriptor, agent in given)
        return resolved

    async def list_agents(self, request: RequestContext) -> Sequence[AgentDescriptor]:
        return [descriptor for descriptor, _, _ in await self._resolved(request)]

    async def external_state(
        self, agent_name: str, thread_id: str, request: RequestContext
    ) -> ExternalAgentState | None:
        for descriptor, _, source in await self._resolved(request):
            if descriptor.name == agent_name and source is not None:
                return await source.external_state(agent_name, thread_id, request)
        return None

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        resolved = await self._resolved(request.request)
        agent = next((agent for descriptor, agent, _ in resolved if descriptor.name == request.agent_name), None)
        if agent is None:
            raise AgentNotFound(request.agent_name, [descriptor.name for descriptor, _, _ in resolved])
        translator = EventTranslator(request.agent_name, request.state)
        async with closed_after(agent.events(request)) as agent_events:
            async for raw in agent_events:
                for event in translator.translate(raw):
                    yield event
