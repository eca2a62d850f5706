"""What every v2 handler shares: the use-cases once the runtime has started, and the settings the
endpoint serves with (version, limits, the request properties it forwards)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ag_ui.core import RunAgentInput
from starlette.requests import Request

from agui_runtime.adapters.agui_wire import from_agui_messages
from agui_runtime.adapters.inbound.agui.errors import Refused
from agui_runtime.application.agents import AgentCatalogue
from agui_runtime.application.requests import HeaderAllowlist, RequestContext
from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.application.use_cases.run_agent import RunAgent
from agui_runtime.application.use_cases.suggest import Suggest
from agui_runtime.application.use_cases.threads import ThreadQueries
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message


@dataclass(frozen=True, slots=True)
class AguiUseCases:
    list_agents: ListAgents
    generate_response: GenerateResponse
    run_agent: RunAgent
    live: LiveRunner
    threads: ThreadQueries
    suggest: Suggest
    agents: AgentCatalogue  # which agents exist, the built-in `default` included


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DefaultAgentOptions:
    """The `default` agent's settings: its system `prompt`, whether the client's system and developer
    messages reach the model, and the `forwardedProps` a run may set (the reference's names)."""

    prompt: str | None = None
    forward_system_messages: bool = False
    forward_developer_messages: bool = False
    overridable: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AguiRuntime:
    use_cases: Callable[[], AguiUseCases | None]
    version: str
    max_model_calls: int
    forward_headers: HeaderAllowlist = field(default_factory=lambda: HeaderAllowlist(()))
    properties: JsonObject = field(default_factory=dict)
    clock: Callable[[], datetime] = _now
    default_agent: DefaultAgentOptions = field(default_factory=DefaultAgentOptions)

    def ready(self) -> AguiUseCases:
        """The use-cases; requests outside the runtime's lifespan are refused with 503."""
        use_cases = self.use_cases()
        if use_cases is None:
            raise Refused(ErrorCode.NOT_READY, "The runtime is not started.")
        return use_cases

    def context(self, request: Request, forwarded: object = None) -> RequestContext:
        context = RequestContext.from_headers(self.properties, request.headers.items(), self.forward_headers)
        if isinstance(forwarded, dict):
            # The client's `properties` arrive merged into `forwardedProps`; the model's own knobs are not
            # properties.
            context = context.with_properties({k: v for k, v in forwarded.items() if k != "toolChoice"})
        return context

    def messages(self, run_input: RunAgentInput) -> tuple[Message, ...]:
        return from_agui_messages(run_input.messages, self.clock())
