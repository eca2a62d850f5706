"""What a resolver reaches through `info.context`: the use-cases, resolved once per app, and the
clean-ups the HTTP layer runs when the response ends (for a streamed one: when the client leaves)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agui_runtime.adapters.inbound.graphql.outputs import CopilotResponse
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState
from agui_runtime.application.use_cases.run_agent import RunAgent


@dataclass(frozen=True, slots=True)
class UseCases:
    list_agents: ListAgents
    load_agent_state: LoadAgentState
    generate_response: GenerateResponse
    run_agent: RunAgent


@dataclass(slots=True)
class GraphQLContext:
    """`request`: the HTTP request's context (forwarded headers, configured properties); resolvers add
    what their arguments carry."""

    use_cases: UseCases
    runs: ActiveRuns
    request: RequestContext = field(default_factory=RequestContext)
    # The chat the mutation started, for the compiled path to stream (`compiled.CompiledChat`).
    response: CopilotResponse | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    async def close(self) -> None:
        closers, self._closers = self._closers, []
        for closer in reversed(closers):
            await closer()
