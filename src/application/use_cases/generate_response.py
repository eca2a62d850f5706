"""One chat turn: the request's messages to the chat model, its answer streamed back as run events."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace

from agui_runtime.application.agents import DEFAULT_AGENT
from agui_runtime.application.default_agent import STATE_TOOL_DEFINITIONS, STATE_TOOLS, AppState, BuiltInAgentRun
from agui_runtime.application.errors import ApplicationError, ConfigurationError
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.ports import (
    ActionRegistry,
    AgentRunner,
    AgentRunRequest,
    ChatModel,
    Clock,
    Guardrails,
    IdGenerator,
    JsonPatcher,
    RequestHooks,
    ThreadStore,
)
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.application.turns import StartedRun, TurnOpening, offered_tools
from agui_runtime.application.use_cases.agent_relay import AgentSession, relay_agent
from agui_runtime.application.use_cases.recording import RunRecorder, failures_as_events
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    StateSnapshot,
)
from agui_runtime.domain.guardrails import TopicRules, guardrails_case
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message, Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition

logger = logging.getLogger("agui_runtime.chat")

GUARDRAILS_DENIED = ErrorCode.GUARDRAILS_VALIDATION_FAILED


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """A converted request. `messages` is the whole history the client sent, in its order. `run_id` is
    the client's id for the run, when it names one. `max_model_calls`: how many times the model may be
    called in this run, each time with the results of the backend actions it called before (1: the
    model answers once, and the client sends the results back itself). `context`: what the client
    tells the model about the user's situation (description, value), shown to the model, not stored.
    `operation` names the request to `on_before_request`. `built_in`: the run is one of the v2 `default`
    agent's (its prompt, the application's state and its state tools; see `default_agent`)."""

    messages: tuple[Message, ...]
    thread_id: str | None = None
    run_id: str | None = None
    tools: tuple[ToolDefinition, ...] = ()
    parameters: ModelParameters = field(default_factory=ModelParameters)
    request: RequestContext = field(default_factory=RequestContext)
    guardrails: TopicRules | None = None
    max_model_calls: int = 1
    context: tuple[tuple[str, str], ...] = ()
    operation: str = "generateCopilotResponse"
    built_in: BuiltInAgentRun | None = None


@dataclass(frozen=True, slots=True)
class GenerateResponse:
    """Rules:
    - `on_before_request` runs first and may refuse the request or name its principal; a thread another
      principal owns is refused (`AccessDenied`) before anything is stored or generated.
    - When guardrails apply (`guardrails_case`), the verdict comes before the model is called: a denied
      request generates nothing and runs no action.
    - The model sees the request's messages in request order, never stored history (clients send the
      full history every time), after a system message with the request's context when it has one.
      The request's messages are stored before the model is called; `RunStarted` carries those that
      were new to the thread. Each output message is stored as it completes; a message cut off by a
      failure or an abort is stored as failed with what it had. A `built_in` run shows the model its own
      system message instead (prompt, context, state) and, unless configured, none of the client's
      system or developer messages.
    - A `built_in` run offers the state tools (before every other tool, whose names they take): a call
      is answered here, the new state sent as a `StateSnapshot` of the `default` agent and stored, then
      the model goes on with the result; a call that does not apply changes nothing and says why.
    - When the model calls backend actions (and no frontend action or agent), their results go back to
      it in a new call, up to `max_model_calls` calls in all; a frontend action call ends the run.
    - A model failure ends the run with `RunFailed`, never with an exception.
    - However the run ends, `on_after_request` gets its report without delaying the response.
    - A request over `limits` (messages, message size) is refused before anything else; a run longer than
      `limits.max_run_seconds` is cut off with `RUN_TIMEOUT`."""

    chat_model: ChatModel | None
    store: ThreadStore
    clock: Clock
    ids: IdGenerator
    actions: ActionRegistry
    hooks: RequestHooks
    guardrails: Guardrails
    agents: AgentRunner | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    patcher: JsonPatcher | None = None  # the state tools' JSON Patch; without it, a delta is refused

    async def __call__(self, turn: ChatTurn) -> StartedRun:
        opening = TurnOpening(self.store, self.clock, self.ids, self.hooks, self.limits)
        opened = await opening.open(turn.operation, turn.request, turn.messages, turn.thread_id, turn.run_id)
        if self.chat_model is None:
            raise ConfigurationError(
                "No chat model is configured: set AGUI_LLM_PROVIDER (openai or anthropic) and AGUI_LLM_MODEL."
            )
        if turn.thread_id is not None:
            await opening.check_access(opened)
        backend = tuple(await self.actions.definitions())
        agents = await self._agents_as_tools(opened.request)
        # Router mode: agents are tools the model may call (empty parameters); the call starts the agent.
        tools = offered_tools(backend, agents, turn.tools)
        app_state: AppState | None = None
        if turn.built_in is not None:
            tools = STATE_TOOL_DEFINITIONS + tuple(tool for tool in tools if tool.name not in STATE_TOOLS)
            app_state = AppState(dict(turn.built_in.state or {}))
        # Not the built-in agent (v1): every message the client sent, after the context when there is one.
        presented = turn.built_in or BuiltInAgentRun(forward_system_messages=True, forward_developer_messages=True)
        shown = presented.shown(turn.messages, turn.context, self.ids.new_id, self.clock.now())
        chat = ChatRequest(opened.thread_id, opened.run_id, shown, tools, turn.parameters)
        taken = frozenset(tool.name for tool in backend)
        routes = _Routes(taken, frozenset(agent.name for agent in agents) - taken, turn.tools, app_state)
        calls = max(1, turn.max_model_calls)
        events = self._run(self.chat_model, chat, turn.messages, opened.recorder, turn.guardrails, routes, calls)
        return StartedRun(opened.thread_id, opened.run_id, opening.report(opened, events))

    def _patcher(self) -> JsonPatcher:
        return self.patcher or _NoPatch()

    async def _agents_as_tools(self, request: RequestContext) -> list[AgentDescriptor]:
        """The agents the model may call; one whose endpoint is down is left out, never failing the chat."""
        if self.agents is None:
            return []
        try:
            return list(await self.agents.list_agents(request))
        except ApplicationError as error:
            logger.warning("agents left out of the chat's tools: %s %s", error.code, error.message)
            return []

    async def _run(
        self,
        model: ChatModel,
        chat: ChatRequest,
        inputs: tuple[Message, ...],
        recorder: RunRecorder,
        rules: TopicRules | None,
        routes: _Routes,
        max_calls: int,
    ) -> AsyncGenerator[RunEvent, None]:
        try:
            new = await self.store.save_messages(chat.thread_id, inputs, principal=recorder.request.principal)
        except ApplicationError as error:
            yield RunFailed(error.code, error.message)
            return
        yield RunStarted(chat.thread_id, chat.run_id, tuple(message for message in inputs if message.id in new))
        case = guardrails_case(rules, inputs)
        if case is not None:
            try:
                verdict = await self.guardrails.check(case, recorder.request)
            except ApplicationError as error:
                logger.warning("guardrails failed in thread %s: %s %s", chat.thread_id, error.code, error.message)
                yield RunFailed(error.code, error.message)
                return
            if not verdict.allowed:
                reason = verdict.reason or "This request is outside the topics this assistant may discuss."
                denial = TextMessage(
                    id=self.ids.new_id(), created_at=self.clock.now(), role=Role.ASSISTANT, content=reason
                )
                await recorder.store_messages([denial])  # the answer the client shows, kept in the thread
                yield RunFailed(GUARDRAILS_DENIED, reason)
                return
        produced = failures_as_events(
            self._answer(model, chat, recorder, routes, max_calls), recorder, "The chat model"
        )
        async with closed_after(produced) as events:
            async for event in events:
                yield event
                if isinstance(event, RunFailed):
                    return
        await recorder.cut_off()
        yield RunFinished(chat.thread_id, chat.run_id)

    async def _answer(
        self, model: ChatModel, chat: ChatRequest, recorder: RunRecorder, routes: _Routes, max_calls: int
    ) -> AsyncGenerator[RunEvent, None]:
        """The model's answer, with the backend actions it calls run and the agents it calls started; the
        model is called again with the results while it calls only backend actions, up to `max_calls`."""
        request = chat
        for _ in range(max_calls):
            produced_from = len(recorder.outputs)
            backend_ran = turn_ended = False
            async with closed_after(model.stream(request)) as model_events:
                async for event in model_events:
                    done = await recorder.track(event)
                    yield event
                    if done is None or done.tool_name is None:
                        continue
                    if routes.state is not None and done.tool_name in STATE_TOOLS:
                        state, outcome = routes.state.apply(done.tool_name, done.text, self._patcher())
                        if state is not None:
                            await self.store.save_state(
                                AgentStateKey(chat.thread_id, DEFAULT_AGENT), state, expected_version=None
                            )
                            yield StateSnapshot(DEFAULT_AGENT, state)
                        yield await recorder.result(done, outcome.as_result_text())
                        backend_ran = True
                    elif done.tool_name in routes.backend:
                        yield await recorder.execute(self.actions, done)
                        backend_ran = True
                    elif done.tool_name in routes.agents:
                        turn_ended = True
                        yield await recorder.result(done, f"{done.tool_name} agent started")
                        async with closed_after(self._route(done.tool_name, chat, recorder, routes)) as agent_events:
                            async for agent_event in agent_events:
                                yield agent_event
                                if isinstance(agent_event, RunFailed):
                                    return
                    else:
                        turn_ended = True  # a frontend action: the client runs it and continues the thread
            if turn_ended or not backend_ran:
                return
            request = replace(request, messages=(*request.messages, *recorder.outputs[produced_from:]))
        if max_calls > 1:
            logger.warning("run %s stopped after %d model calls (the step limit)", chat.run_id, max_calls)

    async def _route(
        self, name: str, chat: ChatRequest, recorder: RunRecorder, routes: _Routes
    ) -> AsyncGenerator[RunEvent, None]:
        """The agent the model called, run into this response. As in the reference, it sees the request's
        messages and only the frontend actions (no backend ones)."""
        assert self.agents is not None
        key = AgentStateKey(chat.thread_id, name)
        stored = await self.store.load_state(key)
        state = stored.values if stored is not None else {}
        run = AgentRunRequest(
            agent_name=name,
            thread_id=chat.thread_id,
            run_id=self.ids.new_id(),
            messages=chat.messages,
            state=state,
            tools=routes.frontend,
            request=recorder.request,
        )
        session = AgentSession(key, run.run_id, "", state)
        async with closed_after(
            relay_agent(self.agents, self.store, self.actions, run, recorder, session, frozenset())
        ) as events:
            async for event in events:
                yield event


@dataclass(frozen=True, slots=True)
class _Routes:
    """Where a tool call goes: backend actions run here, agents start, anything else is the frontend's."""

    backend: frozenset[str]
    agents: frozenset[str]
    frontend: tuple[ToolDefinition, ...]
    state: AppState | None = None  # a `default` agent run's application state, which its state tools change


class _NoPatch(JsonPatcher):
    def apply(self, document: JsonObject, patch: list[JsonObject]) -> JsonObject:
        raise ValueError("JSON Patch is not available in this runtime")
