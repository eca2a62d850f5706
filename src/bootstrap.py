"""The composition root: settings -> container -> ASGI app. The only module that knows every piece."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from dependency_injector import containers, providers
from fastapi import FastAPI
from starlette.applications import Starlette

from agui_runtime.adapters.inbound.agui import AguiUseCases
from agui_runtime.adapters.inbound.agui.configured import v2_endpoint
from agui_runtime.adapters.inbound.graphql.configured import graphql_endpoint
from agui_runtime.adapters.inbound.graphql.context import UseCases
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.adapters.inbound.http.app import build_http_app
from agui_runtime.adapters.inbound.http.mounting import attach
from agui_runtime.adapters.outbound.actions import BackendAction, PythonActionRegistry, load_action
from agui_runtime.adapters.outbound.agents.assembly import (
    AgentsFactory,
    configured_agents,
    legacy_endpoints,
    load_python_agents,
    open_agent_client,
)
from agui_runtime.adapters.outbound.guardrails.configured import open_guardrails
from agui_runtime.adapters.outbound.hooks import AfterHook, BeforeHook, choose_hook, open_hooks
from agui_runtime.adapters.outbound.live.configured import open_live_runs
from agui_runtime.adapters.outbound.llm.configured import open_chat_model
from agui_runtime.adapters.outbound.state.configured import open_thread_store
from agui_runtime.adapters.outbound.system import JsonPatchLibrary, SystemClock, UuidIdGenerator
from agui_runtime.adapters.settings import Settings, SettingsError, load_settings
from agui_runtime.adapters.settings.settings import check_path
from agui_runtime.application.actions import CombinedActions
from agui_runtime.application.agents import AgentCatalogue
from agui_runtime.application.errors import UpstreamUnavailable
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState
from agui_runtime.application.use_cases.run_agent import RunAgent
from agui_runtime.application.use_cases.suggest import Suggest
from agui_runtime.application.use_cases.threads import ThreadQueries
from agui_runtime.domain.errors import ErrorCode

logger = logging.getLogger("agui_runtime")
T = TypeVar("T")


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    thread_store = providers.Resource(open_thread_store, settings, clock=clock)
    python_agents = providers.Dependency(instance_of=dict, default={})
    agents_factory: providers.Object[AgentsFactory | None] = providers.Object(None)
    http_client = providers.Resource(open_agent_client, settings)
    remote_endpoints = providers.Singleton(legacy_endpoints, settings, client=http_client)
    agents = providers.Singleton(
        configured_agents,
        settings,
        python_agents=python_agents,
        client=http_client,
        endpoints=remote_endpoints,
        factory=agents_factory,
    )
    chat_model = providers.Resource(open_chat_model, settings)
    backend_actions = providers.Dependency(instance_of=list, default=[])
    python_actions = providers.Singleton(
        PythonActionRegistry, actions=backend_actions, timeout_seconds=config.action_timeout_seconds
    )
    # Backend actions in code or settings first, then those the legacy endpoints list.
    actions = providers.Singleton(
        lambda python, endpoints: CombinedActions([python, *endpoints.values()]),
        python=python_actions,
        endpoints=remote_endpoints,
    )

    before_hook: providers.Object[BeforeHook | None] = providers.Object(None)
    after_hook: providers.Object[AfterHook | None] = providers.Object(None)
    hooks = providers.Resource(open_hooks, before=before_hook, after=after_hook)
    guardrails = providers.Resource(open_guardrails, settings, chat_model=chat_model)

    limits = providers.Singleton(
        RunLimits,
        max_messages=config.max_messages,
        max_message_bytes=config.max_message_bytes,
        max_run_seconds=config.max_run_seconds,
    )
    list_agents = providers.Factory(ListAgents, agents=agents, hooks=hooks)
    agent_catalogue = providers.Factory(AgentCatalogue, agents=agents, chat_model=chat_model)
    generate_response = providers.Factory(
        GenerateResponse,
        chat_model=chat_model,
        store=thread_store,
        clock=clock,
        ids=ids,
        actions=actions,
        hooks=hooks,
        guardrails=guardrails,
        agents=agents,
        limits=limits,
        patcher=providers.Singleton(JsonPatchLibrary),
    )
    load_agent_state = providers.Factory(LoadAgentState, agents=agents, store=thread_store, hooks=hooks)
    run_agent = providers.Factory(
        RunAgent, agents=agents, store=thread_store, clock=clock, ids=ids, actions=actions, hooks=hooks, limits=limits
    )
    live_runs = providers.Resource(open_live_runs, settings)
    live_runner = providers.Singleton(LiveRunner, live=live_runs, store=thread_store, hooks=hooks)
    thread_queries = providers.Factory(
        ThreadQueries, store=thread_store, hooks=hooks, clearing_enabled=config.threads_clear_enabled
    )
    suggest = providers.Factory(Suggest, chat_model=chat_model, agents=agents, hooks=hooks, limits=limits)

    # What each protocol's endpoint calls, resolved once the resources are open.
    graphql_use_cases = providers.Singleton(
        UseCases,
        list_agents=list_agents,
        load_agent_state=load_agent_state,
        run_agent=run_agent,
        generate_response=generate_response,
    )
    v2_use_cases = providers.Singleton(
        AguiUseCases,
        list_agents=list_agents,
        generate_response=generate_response,
        run_agent=run_agent,
        live=live_runner,
        threads=thread_queries,
        suggest=suggest,
        agents=agent_catalogue,
    )


def build_container(
    settings: Settings,
    actions: Sequence[BackendAction] = (),
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
    agents: AgentsFactory | None = None,
) -> Container:
    """The container for `settings`, with the backend actions, hooks and agents factory given in code and
    what the settings name; raises SettingsError when a configured action, agent or hook cannot be loaded."""
    try:
        every = [*actions, *(load_action(a.name, a.handler, a.description, a.parameters) for a in settings.actions)]
        PythonActionRegistry(every, settings.action_timeout_seconds)  # checks every schema now, not at first use
    except ValueError as exc:
        raise SettingsError(f"invalid setting actions: {exc}") from exc
    try:
        python_agents = load_python_agents(settings.agents)
    except ValueError as exc:
        raise SettingsError(f"invalid setting agents: {exc}") from exc
    try:
        before = choose_hook(on_before_request, settings.on_before_request, "on_before_request")
        after = choose_hook(on_after_request, settings.on_after_request, "on_after_request")
    except ValueError as exc:
        raise SettingsError(f"invalid setting {exc}") from exc
    container = Container(
        settings=settings,
        backend_actions=every,
        python_agents=python_agents,
        before_hook=providers.Object(before),
        after_hook=providers.Object(after),
        agents_factory=providers.Object(agents),
    )
    container.config.from_dict(settings.model_dump(mode="python"))
    return container


async def _resolve(provider: providers.Provider[T]) -> T:
    """A provider's value; providers that depend on an async resource hand back an awaitable."""
    value: object = provider()
    if inspect.isawaitable(value):
        value = await value
    return cast(T, value)


class _Runtime:
    """The container and the use-cases the lifespan resolves from it for both protocols."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.use_cases: UseCases | None = None
        self.agui: AguiUseCases | None = None
        self.runs = ActiveRuns()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        await cast(Any, self.container.init_resources())
        try:
            self.use_cases = await _resolve(self.container.graphql_use_cases)
            self.agui = await _resolve(self.container.v2_use_cases)
            yield
        finally:
            if self.agui is not None:
                await self.agui.live.stop_all()
            self.use_cases = self.agui = None
            await cast(Any, self.container.shutdown_resources())

    async def probe(self) -> None:
        if self.use_cases is None:
            raise UpstreamUnavailable("the runtime has not started (its lifespan is not running)")
        await (await _resolve(self.container.thread_store)).ping()

    async def stop_runs(self) -> None:
        """End every streaming run with a failed status its client still receives."""
        if len(self.runs):
            logger.warning("shutting down: stopping %d run(s) still streaming", len(self.runs))
        await self.runs.stop_all(ErrorCode.SERVER_SHUTTING_DOWN, "The server is shutting down; the run was stopped.")
        if self.agui is not None:
            await self.agui.live.stop_all()


def create_app(
    settings: Settings | None = None,
    actions: Sequence[BackendAction] = (),
    *,
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
    agents: AgentsFactory | None = None,
) -> FastAPI:
    """The runtime as an ASGI app, with backend `actions` and request hooks given in code (see
    `backend_action`, `BeforeRequest`, `AfterRequest`) next to those in the settings. `agents`: a factory
    that gives the agents for each request (`RequestContext` in: headers, properties, principal; a mapping
    of names to in-process agents out, or an awaitable of one), beside the configured agents; one of a
    configured name takes its place for that request. Reads settings from the environment when none are
    given (`uvicorn --factory agui_runtime:create_app`)."""
    return build(settings or load_settings(), actions, on_before_request, on_after_request, agents)[0]


def build(
    settings: Settings,
    actions: Sequence[BackendAction] = (),
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
    agents: AgentsFactory | None = None,
) -> tuple[FastAPI, _Runtime]:
    runtime = _Runtime(build_container(settings, actions, on_before_request, on_after_request, agents))
    graphql = graphql_endpoint(settings, lambda: runtime.use_cases, runtime.runs)
    v2 = v2_endpoint(settings, lambda: runtime.agui)
    return build_http_app(settings, runtime, graphql, v2), runtime


def mount(
    host: Starlette,
    path: str | None = None,
    settings: Settings | None = None,
    actions: Sequence[BackendAction] = (),
    *,
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
    agents: AgentsFactory | None = None,
) -> FastAPI:
    """Serve the runtime inside `host` at `path` (default: the settings' path). The runtime's resources
    open and close with the host's lifespan, which Starlette would not do for a mounted app."""
    settings = settings or load_settings()
    if path is not None:
        settings = settings.model_copy(update={"path": check_path(path)})
    runtime_app = create_app(
        settings, actions, on_before_request=on_before_request, on_after_request=on_after_request, agents=agents
    )
    attach(host, settings.path, runtime_app)
    return runtime_app
