"""The composition root: settings -> container -> ASGI app. The only module that knows every piece."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import importlib
import importlib.metadata
import inspect
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import FrameType
from typing import Any, Protocol, TypeVar, cast

import httpx
import orjson
import uvicorn
from dependency_injector import containers, providers
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from agui_runtime.adapters.inbound.agui import AguiEndpoint, AguiUseCases
from agui_runtime.adapters.inbound.cli.commands import DbUpgradeCommand, ServeCommand, parse_command
from agui_runtime.adapters.inbound.graphql.context import UseCases
from agui_runtime.adapters.inbound.graphql.http import GraphQLEndpoint
from agui_runtime.adapters.inbound.graphql.limits import QueryLimits
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.adapters.inbound.graphql.schema import build_graphql_schema
from agui_runtime.adapters.inbound.http.cors import Cors
from agui_runtime.adapters.inbound.http.health import health_router
from agui_runtime.adapters.inbound.http.middleware import BodyLimit, RuntimeVersionHeader
from agui_runtime.adapters.inbound.http.mounting import PrefixRoute, chain_lifespans
from agui_runtime.adapters.observability import configure_logging
from agui_runtime.adapters.outbound.actions import BackendAction, PythonActionRegistry, backend_action, load_action
from agui_runtime.adapters.outbound.agents import (
    ConfiguredAgents,
    Entry,
    HttpAgent,
    PythonAgent,
    RemoteEndpoint,
    Unsupported,
    load_python_agent,
)
from agui_runtime.adapters.outbound.guardrails import ModelGuardrails, open_cloud_guardrails
from agui_runtime.adapters.outbound.hooks import PythonHooks, load_hook
from agui_runtime.adapters.outbound.hooks.python_hooks import AfterHook, BeforeHook
from agui_runtime.adapters.outbound.live import InProcessLiveRuns
from agui_runtime.adapters.outbound.llm.streaming import Patience
from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.adapters.outbound.state.sql import open_sql_store
from agui_runtime.adapters.outbound.system import SystemClock, UuidIdGenerator
from agui_runtime.adapters.settings import Settings, SettingsError, load_settings
from agui_runtime.adapters.settings.settings import check_path
from agui_runtime.application.actions import CombinedActions
from agui_runtime.application.agents import AgentCatalogue
from agui_runtime.application.errors import RequestRejected, UpstreamUnavailable
from agui_runtime.application.limits import RunLimits
from agui_runtime.application.ports import ChatModel, Guardrails, LiveRuns, ThreadStore
from agui_runtime.application.requests import AfterRequest, BeforeRequest, HeaderAllowlist, RequestContext
from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState
from agui_runtime.application.use_cases.run_agent import RunAgent
from agui_runtime.application.use_cases.suggest import Suggest
from agui_runtime.application.use_cases.threads import ThreadQueries
from agui_runtime.domain.agents import AgentDescriptor

__all__ = [
    "AfterRequest",
    "BackendAction",
    "BeforeRequest",
    "RequestContext",
    "RequestRejected",
    "backend_action",
    "create_app",
    "main",
    "mount",
]

logger = logging.getLogger("agui_runtime")
_AFTER_HOOKS_DRAIN_SECONDS = 5.0
T = TypeVar("T")


def _python_agents(settings: Settings) -> dict[str, Any]:
    """The in-process agents the settings name, imported now so a bad path stops start-up."""
    try:
        return {a.name: load_python_agent(a.name, a.import_path) for a in settings.agents if a.import_path}
    except ValueError as exc:
        raise SettingsError(f"invalid setting agents: {exc}") from None


async def _http_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client for remote agents and endpoints, open as long as the app."""
    timeout = httpx.Timeout(10.0, connect=settings.agent_connect_timeout_seconds, read=settings.agent_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout) as client:
        yield client


def _remote_endpoints(settings: Settings, client: httpx.AsyncClient) -> dict[str, RemoteEndpoint]:
    ttl = settings.remote_info_ttl_seconds
    return {
        agent.name: RemoteEndpoint(agent.url, client, label=agent.name, ttl_seconds=ttl)
        for agent in settings.agents
        if agent.kind == "copilotkit-remote" and agent.url is not None
    }


def _agents(
    settings: Settings,
    python_agents: dict[str, Any],
    client: httpx.AsyncClient,
    endpoints: dict[str, RemoteEndpoint],
) -> ConfiguredAgents:
    """Every configured agent, in configuration order; a legacy endpoint stands for the agents it lists
    (the entry's name only labels it in the settings)."""
    agents: list[Entry] = []
    for agent in settings.agents:
        descriptor = AgentDescriptor(agent.name, agent.description)
        if agent.kind == "python":
            agents.append((descriptor, PythonAgent(agent.name, python_agents[agent.name])))
        elif agent.kind == "agui-http" and agent.url is not None:
            agents.append((descriptor, HttpAgent(agent.name, agent.url, client)))
        elif agent.name in endpoints:
            agents.append(endpoints[agent.name])
        else:
            agents.append((descriptor, Unsupported(agent.name, agent.kind)))
    return ConfiguredAgents(agents)


def _actions(python: PythonActionRegistry, endpoints: dict[str, RemoteEndpoint]) -> CombinedActions:
    """Backend actions in code or settings first, then those the legacy endpoints list."""
    return CombinedActions([python, *endpoints.values()])


class ModelOpener(Protocol):
    """`open_model` of a chat-model adapter module."""

    def __call__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float,
        max_retries: int,
        max_input_tokens: int,
        connect_timeout_seconds: float,
        patience: Patience,
    ) -> AbstractAsyncContextManager[ChatModel]: ...


# Each vendor's adapter is imported only when it is configured: the SDKs weigh 23 MB (openai) and 39 MB
# (anthropic) of resident memory per worker.
_CHAT_MODELS = {
    "openai": "agui_runtime.adapters.outbound.llm.openai_chat",
    "anthropic": "agui_runtime.adapters.outbound.llm.anthropic_chat",
}


async def _chat_model(settings: Settings) -> AsyncIterator[ChatModel | None]:
    """The configured chat model for the container's lifetime; its SDK client closes with the app."""
    adapter = _CHAT_MODELS.get(settings.llm_provider or "")
    if adapter is None:
        yield None
        return
    assert settings.llm_model is not None  # the settings require a model with a provider
    opener: ModelOpener = importlib.import_module(adapter).open_model
    async with opener(
        api_key=settings.llm_key() or "",
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        max_input_tokens=settings.llm_max_input_tokens,
        connect_timeout_seconds=settings.llm_connect_timeout_seconds,
        patience=Patience(settings.llm_first_token_timeout_seconds, settings.llm_idle_timeout_seconds),
    ) as model:
        yield model


async def _guardrails(settings: Settings, chat_model: ChatModel | None) -> AsyncIterator[Guardrails]:
    """The configured guardrails adapter; the cloud one holds an HTTP client for the app's lifetime."""
    if settings.guardrails == "cloud":
        async with open_cloud_guardrails(settings.guardrails_cloud_url, settings.guardrails_timeout_seconds) as cloud:
            yield cloud
    else:
        yield ModelGuardrails(chat_model)


async def _hooks(before: BeforeHook | None, after: AfterHook | None) -> AsyncIterator[PythonHooks]:
    """The request hooks; at shutdown, after-request hooks still running get a few seconds to finish."""
    hooks = PythonHooks(before, after)
    try:
        yield hooks
    finally:
        await hooks.drain(_AFTER_HOOKS_DRAIN_SECONDS)


async def _thread_store(settings: Settings, clock: SystemClock) -> AsyncIterator[ThreadStore]:
    """The store the URL names: in memory, or SQL (its schema migrated first unless turned off)."""
    if _store_kind(settings.state_store_url) == "memory":
        yield InMemoryThreadStore(clock)
        return
    async with open_sql_store(settings.state_store_url, clock, migrate=settings.migrate_on_start) as store:
        yield store


async def _live_runs(settings: Settings) -> AsyncIterator[LiveRuns]:
    """Runs in flight: through Redis when replicas share them, else in this process."""
    if settings.live_runs_url is None:
        if settings.workers > 1:
            logger.warning(
                "workers > 1 without live_runs_url: a v2 run can be connected to or stopped only from the worker "
                "that runs it; set AGUI_LIVE_RUNS_URL to a Redis URL"
            )
        yield InProcessLiveRuns()
        return
    from agui_runtime.adapters.outbound.live.redis_channel import open_redis_live_runs

    async with open_redis_live_runs(settings.live_runs_url, settings.live_runs_prefix) as live:
        yield live


def _store_kind(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    thread_store = providers.Resource(_thread_store, settings=settings, clock=clock)
    python_agents = providers.Dependency(instance_of=dict, default={})
    http_client = providers.Resource(_http_client, settings=settings)
    remote_endpoints = providers.Singleton(_remote_endpoints, settings=settings, client=http_client)
    agents = providers.Singleton(
        _agents, settings=settings, python_agents=python_agents, client=http_client, endpoints=remote_endpoints
    )

    chat_model = providers.Resource(_chat_model, settings=settings)
    backend_actions = providers.Dependency(instance_of=list, default=[])
    python_actions = providers.Singleton(
        PythonActionRegistry, actions=backend_actions, timeout_seconds=config.action_timeout_seconds
    )
    actions = providers.Singleton(_actions, python=python_actions, endpoints=remote_endpoints)

    before_hook: providers.Object[BeforeHook | None] = providers.Object(None)
    after_hook: providers.Object[AfterHook | None] = providers.Object(None)
    hooks = providers.Resource(_hooks, before=before_hook, after=after_hook)
    guardrails = providers.Resource(_guardrails, settings=settings, chat_model=chat_model)

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
    )
    load_agent_state = providers.Factory(LoadAgentState, agents=agents, store=thread_store, hooks=hooks)
    run_agent = providers.Factory(
        RunAgent, agents=agents, store=thread_store, clock=clock, ids=ids, actions=actions, hooks=hooks, limits=limits
    )
    live_runs = providers.Resource(_live_runs, settings=settings)
    live_runner = providers.Singleton(LiveRunner, live=live_runs, store=thread_store, hooks=hooks)
    thread_queries = providers.Factory(
        ThreadQueries, store=thread_store, hooks=hooks, clearing_enabled=config.threads_clear_enabled
    )
    suggest = providers.Factory(Suggest, chat_model=chat_model, agents=agents, hooks=hooks, limits=limits)


def _hook(given: Callable[..., Any] | None, path: str | None, key: str) -> Callable[..., Any] | None:
    if given is not None and path is not None:
        raise SettingsError(f"invalid setting {key}: a hook is given both in code and in the settings; keep one")
    if path is None:
        return given
    try:
        return load_hook(path, key)
    except ValueError as exc:
        raise SettingsError(f"invalid setting {exc}") from None


def build_container(
    settings: Settings,
    actions: Sequence[BackendAction] = (),
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
) -> Container:
    """The container for `settings`, with the backend actions and hooks given in code and those the
    settings name; raises SettingsError when a configured action or hook cannot be loaded."""
    try:
        configured = [load_action(a.name, a.handler, a.description, a.parameters) for a in settings.actions]
        every = [*actions, *configured]
        PythonActionRegistry(every, settings.action_timeout_seconds)  # checks every schema now, not at first use
    except ValueError as exc:
        raise SettingsError(f"invalid setting actions: {exc}") from None
    before = _hook(on_before_request, settings.on_before_request, "on_before_request")
    after = _hook(on_after_request, settings.on_after_request, "on_after_request")
    container = Container(
        settings=settings,
        backend_actions=every,
        python_agents=_python_agents(settings),
        before_hook=providers.Object(before),
        after_hook=providers.Object(after),
    )
    container.config.from_dict(
        {**settings.model_dump(mode="python"), "store_kind": _store_kind(settings.state_store_url)}
    )
    return container


async def _maybe_await(value: object) -> None:
    if inspect.isawaitable(value):
        await value


async def _resolve(provider: providers.Provider[T]) -> T:
    """A provider's value; providers that depend on an async resource hand back an awaitable."""
    value: object = provider()
    if inspect.isawaitable(value):
        value = await value
    return cast(T, value)


class _Runtime:
    """The container plus what the lifespan resolves from it. Nothing is opened before the lifespan
    starts, and requests that arrive outside it get 503."""

    def __init__(self, settings: Settings, actions: Sequence[BackendAction], hooks: _HookArgs) -> None:
        self.settings = settings
        self.container = build_container(settings, actions, *hooks)
        self.use_cases: UseCases | None = None
        self.agui: AguiUseCases | None = None
        self.runs = ActiveRuns()

    async def stop_runs(self) -> None:
        """End every streaming run with a failed status its client still receives."""
        if len(self.runs):
            logger.warning("shutting down: stopping %d run(s) still streaming", len(self.runs))
        await self.runs.stop_all("SERVER_SHUTTING_DOWN", "The server is shutting down; the run was stopped.")
        if self.agui is not None:
            await self.agui.live.stop_all()

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        await _maybe_await(self.container.init_resources())
        self.use_cases = UseCases(
            list_agents=await _resolve(self.container.list_agents),
            load_agent_state=await _resolve(self.container.load_agent_state),
            run_agent=await _resolve(self.container.run_agent),
            generate_response=await _resolve(self.container.generate_response),
        )
        self.agui = AguiUseCases(
            list_agents=self.use_cases.list_agents,
            generate_response=self.use_cases.generate_response,
            run_agent=self.use_cases.run_agent,
            live=await _resolve(self.container.live_runner),
            threads=await _resolve(self.container.thread_queries),
            suggest=await _resolve(self.container.suggest),
            agents=await _resolve(self.container.agent_catalogue),
        )
        logger.info(
            "agui-runtime serving at %s (store %s)", self.settings.path, _store_kind(self.settings.state_store_url)
        )
        try:
            yield
        finally:
            if self.agui is not None:
                await self.agui.live.stop_all()
            self.use_cases = None
            self.agui = None
            await _maybe_await(self.container.shutdown_resources())

    def current_use_cases(self) -> UseCases | None:
        return self.use_cases

    def current_agui(self) -> AguiUseCases | None:
        return self.agui

    async def probe(self) -> None:
        if self.use_cases is None:
            raise UpstreamUnavailable("the runtime has not started (its lifespan is not running)")
        store = await _resolve(self.container.thread_store)
        await store.ping()


def create_app(
    settings: Settings | None = None,
    actions: Sequence[BackendAction] = (),
    *,
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
) -> FastAPI:
    """The runtime as an ASGI app, with backend `actions` and request hooks given in code (see
    `backend_action`, `BeforeRequest`, `AfterRequest`) next to those in the settings. Reads settings
    from the environment when none are given (`uvicorn --factory bootstrap:create_app`)."""
    return _build(settings or load_settings(), actions, (on_before_request, on_after_request))[0]


_HookArgs = tuple[BeforeHook | None, AfterHook | None]


def _build(
    settings: Settings, actions: Sequence[BackendAction] = (), hooks: _HookArgs = (None, None)
) -> tuple[FastAPI, _Runtime]:
    runtime = _Runtime(settings, actions, hooks)
    app = FastAPI(
        lifespan=runtime.lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        middleware=[
            Middleware(Cors, origins=settings.cors_origins, allow_credentials=settings.cors_allow_credentials),
            Middleware(RuntimeVersionHeader),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        ],
    )
    schema = build_graphql_schema()
    endpoint = GraphQLEndpoint(
        schema,
        runtime.current_use_cases,
        runtime.runs,
        introspection=settings.introspection and not settings.production,
        limits=QueryLimits(settings.max_query_depth, settings.max_aliases, settings.max_generate_per_request),
        max_tokens=settings.max_query_tokens,
        compiled=settings.compiled_chat,
        forward_headers=HeaderAllowlist(settings.forward_headers),
        properties=settings.properties,
    )
    agui = AguiEndpoint(
        settings.path,
        runtime.current_agui,
        version=importlib.metadata.version("agui-runtime"),
        max_model_calls=settings.default_agent_max_steps,
        forward_headers=HeaderAllowlist(settings.forward_headers),
        properties=settings.properties,
    )

    async def base_path(request: Request) -> Response:
        # One path, two protocols: a POSTed JSON object with `method` and no `query` is the v2 single-route
        # envelope; anything else is GraphQL. Only bodies that mention "method" are parsed here.
        if request.method == "POST":
            body = await request.body()
            if b'"method"' in body:
                try:
                    payload = orjson.loads(body)
                except orjson.JSONDecodeError:
                    payload = None
                if isinstance(payload, dict) and "method" in payload and "query" not in payload:
                    return await agui.envelope(request, payload)
        return await endpoint.handle(request)

    app.router.add_route(settings.path, base_path, methods=["GET", "POST"], include_in_schema=False)
    app.include_router(health_router(settings.path, runtime.probe))
    app.router.routes.append(agui.route)
    return app, runtime


def mount(
    host: Starlette,
    path: str | None = None,
    settings: Settings | None = None,
    actions: Sequence[BackendAction] = (),
    *,
    on_before_request: BeforeHook | None = None,
    on_after_request: AfterHook | None = None,
) -> FastAPI:
    """Serve the runtime inside `host` at `path` (default: the settings' path). The runtime's resources
    open and close with the host's lifespan, which Starlette would not do for a mounted app."""
    settings = settings or load_settings()
    if path is not None:
        settings = settings.model_copy(update={"path": check_path(path)})
    runtime_app = create_app(settings, actions, on_before_request=on_before_request, on_after_request=on_after_request)
    host.router.routes.append(PrefixRoute(settings.path, runtime_app))
    host.router.lifespan_context = chain_lifespans(runtime_app.router.lifespan_context, host.router.lifespan_context)
    return runtime_app


def main(argv: Sequence[str] | None = None) -> int:
    """`agui-runtime serve [--config FILE] [--host H] [--port P] [--workers N]` or
    `agui-runtime db upgrade [--config FILE]`."""
    command = parse_command(argv)
    try:
        settings = load_settings(config_file=command.config, overrides=command.overrides())
        if isinstance(command, DbUpgradeCommand):
            return asyncio.run(_db_upgrade(settings))
        if settings.workers > 1:
            return _serve_workers(command, settings)
        app, runtime = _build(settings)
    except SettingsError as exc:
        for line in str(exc).splitlines():
            print(f"agui-runtime: {line}", file=sys.stderr)
        return 2
    _serve(app, runtime, settings)
    return 0


def _serve(app: FastAPI, runtime: _Runtime, settings: Settings, sock: socket.socket | None = None) -> None:
    configure_logging(settings.log_level, settings.log_format)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's loggers go through the root handler (format and redaction)
        # Runs still streaming after the grace period are stopped by the runtime itself (a clean failed
        # status); uvicorn's own deadline comes later and only catches what is left.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds + 5,
    )
    _GracefulServer(config, runtime, settings.shutdown_grace_seconds).run(sockets=None if sock is None else [sock])


def _serve_workers(command: ServeCommand, settings: Settings) -> int:
    """Pre-fork serving, as uvicorn's and gunicorn's workers do: the socket is bound here once and each
    worker process accepts on it with its own event loop and runtime (the store is shared through the
    database). The schema is migrated here, before any worker starts. A worker that dies is replaced;
    SIGTERM / SIGINT are passed on, and each worker drains its runs as a single process would."""
    configure_logging(settings.log_level, settings.log_format)
    if settings.migrate_on_start:
        code = asyncio.run(_db_upgrade(settings, quiet=True))
        if code:
            return code
    sock = uvicorn.Config(
        "agui_runtime:create_app", host=settings.host, port=settings.port, log_level=settings.log_level, log_config=None
    ).bind_socket()
    # The workers are told the bound port (the flag may have said 0) and not to migrate again.
    worker_command = dataclasses.replace(command, port=sock.getsockname()[1])
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        process = spawn.Process(target=_worker, args=(worker_command, sock), name="agui-runtime-worker")
        process.start()
        return process

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start() for _ in range(settings.workers)]
    started_at = [time.monotonic()] * len(workers)
    failed = False
    while not stopping.wait(0.5):
        for index, process in enumerate(workers):
            if process.is_alive():
                continue
            if time.monotonic() - started_at[index] < 5:
                # One that cannot start would only crash again: stop, and exit non-zero so a supervisor
                # (systemd, Kubernetes) sees the failure and applies its own restart policy.
                logger.error("a worker exited while starting (exit code %s); stopping", process.exitcode)
                failed = True
                stopping.set()
                break
            logger.error("worker %s exited (exit code %s); starting another", process.pid, process.exitcode)
            workers[index], started_at[index] = start(), time.monotonic()
    for process in workers:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    for process in workers:
        process.join(settings.shutdown_grace_seconds + 15)
        if process.is_alive():
            process.kill()
    sock.close()
    return 1 if failed else 0


def _worker(command: ServeCommand, sock: socket.socket) -> None:
    """One worker process of `_serve_workers`."""
    overrides = {**command.overrides(), "migrate_on_start": False}
    settings = load_settings(config_file=command.config, overrides=overrides)
    app, runtime = _build(settings)
    _serve(app, runtime, settings, sock)


async def _db_upgrade(settings: Settings, *, quiet: bool = False) -> int:
    if _store_kind(settings.state_store_url) == "memory":
        print("agui-runtime: state_store_url is memory://: there is no schema to upgrade", file=sys.stderr)
        return 2
    try:
        async with open_sql_store(settings.state_store_url, SystemClock(), migrate=True):
            pass
    except UpstreamUnavailable as exc:
        print(f"agui-runtime: {exc.message}", file=sys.stderr)
        return 1
    if not quiet:
        print(f"agui-runtime: the schema of the {_store_kind(settings.state_store_url)} store is up to date")
    return 0


# Measured here on the frozen heap: a full collection takes ~1 ms with nothing to free and ~8 ms with the
# garbage of 500 chats, so every 2 s costs well under 1 % of a core and bounds what piles up in between.
GC_INTERVAL_SECONDS = 2.0


async def _collect_garbage() -> None:
    """A full cyclic collection every `GC_INTERVAL_SECONDS`."""
    while True:
        await asyncio.sleep(GC_INTERVAL_SECONDS)
        gc.collect()


class _GracefulServer(uvicorn.Server):
    """On SIGTERM or SIGINT: stop accepting (uvicorn), let runs finish for `grace` seconds, then stop the
    ones still streaming so each client gets a final status."""

    def __init__(self, config: uvicorn.Config, runtime: _Runtime, grace: int) -> None:
        super().__init__(config)
        self._runtime = runtime
        self._grace = grace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._stop_task: asyncio.Task[None] | None = None
        self._collector: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Everything loaded so far (modules, the container, the schema) lives as long as the process: take
        # it out of the cyclic collector's reach, or each full collection walks it again, a pause of tens
        # of milliseconds that lands on whatever requests are in flight (measured: time to first token).
        gc.collect()
        gc.freeze()
        # A request allocates thousands of short-lived objects; collecting the young generation every 700
        # allocations (the default) cost ~7 % of a short request's CPU here.
        gc.set_threshold(20_000, 50, 100)
        # With these thresholds (and the frozen start-up heap not counting towards Python's own trigger) a
        # full collection almost never comes, and reference cycles that outlive the young collections (a
        # cancelled stream's exception, frame and task form one) piled up: the reliability suite's soak grew
        # ~6 MB/min at 25 requests/s, all of it garbage a full collection frees. Collect in full on a timer.
        self._collector = asyncio.get_running_loop().create_task(_collect_garbage(), name="agui-gc")

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and not self._stopping:
            self._stopping = True
            loop = self._loop
            loop.call_soon_threadsafe(loop.call_later, self._grace, self._stop_runs)

    def _stop_runs(self) -> None:
        assert self._loop is not None
        self._stop_task = self._loop.create_task(self._runtime.stop_runs())


if __name__ == "__main__":
    sys.exit(main())
