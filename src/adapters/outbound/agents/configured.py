"""The agents named in the configuration.

Listing them needs no I/O. Running one needs its kind's adapter (AG-UI over HTTP, in-process Python,
legacy CopilotKit endpoint); until a kind has one, a run fails with a clear error instead of hanging.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from application.ports import AgentRunner, AgentRunRequest
from domain.agents import AgentDescriptor
from domain.events import RunEvent, RunFailed


class ConfiguredAgents(AgentRunner):
    def __init__(self, agents: Sequence[tuple[AgentDescriptor, str]]) -> None:
        """`agents` pairs each descriptor with its configured kind."""
        self._agents = list(agents)

    async def list_agents(self) -> Sequence[AgentDescriptor]:
        return [descriptor for descriptor, _ in self._agents]

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        kind = next((kind for agent, kind in self._agents if agent.name == request.agent_name), None)
        yield RunFailed(
            code="CONFIGURATION_ERROR",
            message=f"agent '{request.agent_name}' of kind '{kind}' cannot be run by this version of agui-runtime",
        )
