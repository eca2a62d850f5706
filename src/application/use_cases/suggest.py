"""Suggestions: the model or an agent run once on the conversation, streamed back and never stored."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from agui_runtime.application.errors import AgentNotFound, ApplicationError, ConfigurationError
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.ports import AgentRunner, AgentRunRequest, ChatModel, RequestHooks
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.domain.events import RunEvent, RunFailed, RunFinished, RunStarted
from agui_runtime.domain.messages import Message
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition


@dataclass(frozen=True, slots=True)
class SuggestTurn:
    """`agent_name` None asks the chat model."""

    agent_name: str | None
    thread_id: str
    run_id: str
    messages: tuple[Message, ...]
    tools: tuple[ToolDefinition, ...] = ()
    parameters: ModelParameters = field(default_factory=ModelParameters)
    context: tuple[tuple[str, str], ...] = ()
    request: RequestContext = field(default_factory=RequestContext)
    operation: str = "agent/suggest"


@dataclass(frozen=True, slots=True)
class Suggest:
    """Rules: `on_before_request` first; nothing is stored, no backend action runs (the tools are the
    client's); the events are the model's or agent's between `RunStarted` and `RunFinished`, a failure
    ending them with `RunFailed`."""

    chat_model: ChatModel | None
    agents: AgentRunner
    hooks: RequestHooks
    limits: RunLimits = field(default_factory=RunLimits)

    async def __call__(self, turn: SuggestTurn) -> AsyncIterator[RunEvent]:
        self.limits.check(turn.messages)
        before = BeforeRequest(
            turn.operation,
            turn.request,
            thread_id=turn.thread_id,
            run_id=turn.run_id,
            agent_name=turn.agent_name,
            input_messages=turn.messages,
        )
        request = turn.request.for_principal(await self.hooks.before_request(before))
        if turn.agent_name is None:
            if self.chat_model is None:
                raise ConfigurationError("No chat model is configured: set AGUI_LLM_PROVIDER and AGUI_LLM_MODEL.")
            chat = ChatRequest(turn.thread_id, turn.run_id, turn.messages, turn.tools, turn.parameters)
            return self._stream(turn, self.chat_model.stream(chat))
        names = [agent.name for agent in await self.agents.list_agents(request)]
        if turn.agent_name not in names:
            raise AgentNotFound(turn.agent_name, names)
        run = AgentRunRequest(
            agent_name=turn.agent_name,
            thread_id=turn.thread_id,
            run_id=turn.run_id,
            messages=turn.messages,
            tools=turn.tools,
            context=turn.context,
            request=request,
        )
        return self._stream(turn, self.agents.run(run))

    async def _stream(self, turn: SuggestTurn, upstream: AsyncIterator[RunEvent]) -> AsyncGenerator[RunEvent, None]:
        yield RunStarted(turn.thread_id, turn.run_id)
        try:
            async with closed_after(upstream) as events:
                async for event in events:
                    if isinstance(event, (RunStarted, RunFinished)):
                        continue
                    yield event
                    if isinstance(event, RunFailed):
                        return
        except ApplicationError as error:
            yield RunFailed(error.code, error.message)
            return
        yield RunFinished(turn.thread_id, turn.run_id)
