"""Typed fakes for use-case tests: no I/O, deterministic time and ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.application.errors import RequestRejected
from agui_runtime.application.ports import (
    ActionRegistry,
    AgentRunner,
    AgentRunRequest,
    ChatModel,
    Clock,
    ExternalAgentState,
    Guardrails,
    IdGenerator,
    RequestHooks,
)
from agui_runtime.application.requests import AfterRequest, BeforeRequest, RequestContext
from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.run_agent import RunAgent
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import RunEvent, RunFinished
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.tools import ActionOutcome, ChatRequest, ToolDefinition


class FixedClock(Clock):
    """Starts at a fixed instant and moves one second per call, so order is visible in timestamps."""

    def __init__(self, start: datetime = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) -> None:
        self._next = start

    def now(self) -> datetime:
        current = self._next
        self._next += timedelta(seconds=1)
        return current


class SequentialIds(IdGenerator):
    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._count = 0

    def new_id(self) -> str:
        self._count += 1
        return f"{self._prefix}-{self._count}"


class StaticAgents(AgentRunner):
    """Agents that exist but whose runs finish at once; records the runs it was asked for. `external`
    holds the threads of agents that keep their own."""

    def __init__(self, *agents: AgentDescriptor, external: dict[str, ExternalAgentState] | None = None) -> None:
        self._agents = list(agents)
        self._external = external or {}
        self.runs: list[AgentRunRequest] = []

    async def list_agents(self, request: RequestContext) -> Sequence[AgentDescriptor]:
        return list(self._agents)

    async def external_state(
        self, agent_name: str, thread_id: str, request: RequestContext
    ) -> ExternalAgentState | None:
        return self._external.get(agent_name)

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        self.runs.append(request)
        yield RunFinished(request.thread_id, request.run_id)


class ScriptedAgents(AgentRunner):
    """Agents whose runs yield the next scripted list of events (an exception in the list is raised at
    that point); records every run request."""

    def __init__(self, agents: Sequence[AgentDescriptor], *scripts: list[RunEvent | Exception]) -> None:
        self._agents = list(agents)
        self._scripts = list(scripts)
        self.runs: list[AgentRunRequest] = []

    async def list_agents(self, request: RequestContext) -> Sequence[AgentDescriptor]:
        return list(self._agents)

    async def external_state(
        self, agent_name: str, thread_id: str, request: RequestContext
    ) -> ExternalAgentState | None:
        return None

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        self.runs.append(request)
        for item in self._scripts.pop(0):
            if isinstance(item, Exception):
                raise item
            yield item


class ScriptedChatModel(ChatModel):
    """Answers each request with the next scripted list of events (an exception in the list is raised
    at that point); records every request it was asked."""

    def __init__(self, *scripts: list[RunEvent | Exception]) -> None:
        self._scripts = list(scripts)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        self.requests.append(request)
        for item in self._scripts.pop(0):
            if isinstance(item, Exception):
                raise item
            yield item


class FakeActions(ActionRegistry):
    """Backend actions answering from a table of outcomes; records every call."""

    def __init__(self, outcomes: dict[str, ActionOutcome] | None = None) -> None:
        self._outcomes = outcomes or {}
        self.calls: list[tuple[str, JsonObject]] = []
        self.requests: list[RequestContext] = []

    async def definitions(self) -> list[ToolDefinition]:
        return [ToolDefinition(name, f"{name} (backend)") for name in self._outcomes]

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        self.calls.append((name, arguments))
        self.requests.append(request)
        return self._outcomes[name]


class FakeHooks(RequestHooks):
    """Admits every request as `principal` (None: anonymous), or refuses each with `reject`; records
    what both hooks were given."""

    def __init__(self, principal: str | None = None, reject: RequestRejected | None = None) -> None:
        self.principal = principal
        self.reject = reject
        self.before: list[BeforeRequest] = []
        self.after: list[AfterRequest] = []

    async def before_request(self, request: BeforeRequest) -> str | None:
        self.before.append(request)
        if self.reject is not None:
            raise self.reject
        return self.principal

    def after_request(self, report: AfterRequest) -> None:
        self.after.append(report)


class FakeGuardrails(Guardrails):
    """Gives `verdict` (or raises `error`); records every case it judged."""

    def __init__(self, verdict: GuardrailsVerdict | None = None, error: Exception | None = None) -> None:
        self.verdict = verdict or GuardrailsVerdict(allowed=True)
        self.error = error
        self.cases: list[GuardrailsCase] = []

    async def check(self, case: GuardrailsCase, request: RequestContext) -> GuardrailsVerdict:
        self.cases.append(case)
        if self.error is not None:
            raise self.error
        return self.verdict


def chat_use_case(
    model: ChatModel | None,
    *,
    actions: FakeActions | None = None,
    hooks: FakeHooks | None = None,
    guardrails: FakeGuardrails | None = None,
    store: InMemoryThreadStore | None = None,
    agents: AgentRunner | None = None,
) -> tuple[GenerateResponse, InMemoryThreadStore]:
    """GenerateResponse on fakes and an in-memory store (given, to share one between use-cases)."""
    store = store or InMemoryThreadStore(FixedClock())
    use_case = GenerateResponse(
        model,
        store,
        FixedClock(),
        SequentialIds("run"),
        actions or FakeActions(),
        hooks or FakeHooks(),
        guardrails or FakeGuardrails(),
        agents,
    )
    return use_case, store


def agent_use_case(
    agents: AgentRunner,
    *,
    actions: FakeActions | None = None,
    hooks: FakeHooks | None = None,
    store: InMemoryThreadStore | None = None,
) -> tuple[RunAgent, InMemoryThreadStore]:
    """RunAgent on fakes and an in-memory store."""
    store = store or InMemoryThreadStore(FixedClock())
    use_case = RunAgent(
        agents, store, FixedClock(), SequentialIds("run"), actions or FakeActions(), hooks or FakeHooks()
    )
    return use_case, store
