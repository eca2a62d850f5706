"""Typed fakes for use-case tests: no I/O, deterministic time and ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from application.ports import ActionRegistry, AgentRunner, AgentRunRequest, ChatModel, Clock, IdGenerator
from domain.agents import AgentDescriptor
from domain.events import RunEvent, RunFinished
from domain.json import JsonObject
from domain.tools import ActionOutcome, ChatRequest, ToolDefinition


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
    """Agents that exist but whose runs finish at once; records the runs it was asked for."""

    def __init__(self, *agents: AgentDescriptor) -> None:
        self._agents = list(agents)
        self.runs: list[AgentRunRequest] = []

    async def list_agents(self) -> Sequence[AgentDescriptor]:
        return list(self._agents)

    async def run(self, request: AgentRunRequest) -> AsyncIterator[RunEvent]:
        self.runs.append(request)
        yield RunFinished(request.thread_id, request.run_id)


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

    def definitions(self) -> list[ToolDefinition]:
        return [ToolDefinition(name, f"{name} (backend)") for name in self._outcomes]

    async def execute(self, name: str, arguments: JsonObject) -> ActionOutcome:
        self.calls.append((name, arguments))
        return self._outcomes[name]
