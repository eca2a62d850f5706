"""The configured agents, built from the settings' `[[agents]]` entries in configuration order."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import httpx

from agui_runtime.adapters.outbound.agents.agui_http import HttpAgent
from agui_runtime.adapters.outbound.agents.configured import AguiAgent, ConfiguredAgents, Entry, PerRequest, Unsupported
from agui_runtime.adapters.outbound.agents.copilotkit_remote import RemoteEndpoint
from agui_runtime.adapters.outbound.agents.python_agent import PythonAgent, load_python_agent
from agui_runtime.application.errors import ConfigurationError
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.agents import AgentDescriptor

logger = logging.getLogger("agui_runtime.agents")


class AgentEntry(Protocol):
    """One `[[agents]]` table of the settings."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def import_path(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


class AgentSettings(Protocol):
    """The settings the agents are built from."""

    @property
    def agents(self) -> Sequence[AgentEntry]: ...
    @property
    def agent_connect_timeout_seconds(self) -> float: ...
    @property
    def agent_timeout_seconds(self) -> float: ...
    @property
    def remote_info_ttl_seconds(self) -> float: ...


def load_python_agents(entries: Iterable[AgentEntry]) -> dict[str, Any]:
    """The in-process agents the entries name, imported now so a bad path stops start-up (ValueError)."""
    return {entry.name: load_python_agent(entry.name, entry.import_path) for entry in entries if entry.import_path}


# `create_app(agents=...)`: the request's headers, properties and principal in, `{name: agent}` out (an
# object with `run(input)`, as for `kind = "python"`), returned or awaited.
AgentsFactory = Callable[[RequestContext], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


def per_request_agents(factory: AgentsFactory | None) -> PerRequest | None:
    """The agents a factory given in code has for each request, run in this process. A factory that
    fails, or gives something that is not an agent, fails the request with a configuration error that
    names the problem, not the factory's own message (it may hold a secret); the log has its type."""
    if factory is None:
        return None

    async def agents(request: RequestContext) -> Sequence[tuple[AgentDescriptor, AguiAgent]]:
        try:
            given = factory(request)
            if inspect.isawaitable(given):
                given = await given
        except Exception as exc:
            logger.warning("the agents factory failed: %s", type(exc).__name__)
            raise ConfigurationError(f"The agents factory failed ({type(exc).__name__}).") from exc
        if not isinstance(given, Mapping):
            raise ConfigurationError("The agents factory must return a mapping of agent names to agents.")
        found: list[tuple[AgentDescriptor, AguiAgent]] = []
        for name, target in cast(Mapping[object, object], given).items():  # checked here: user code
            if not isinstance(name, str) or not name or not callable(getattr(target, "run", None)):
                raise ConfigurationError(
                    f"The agents factory gave {name!r}, which is not a named agent with a run(input) method."
                )
            found.append(
                (AgentDescriptor(name, str(getattr(target, "description", "") or "")), PythonAgent(name, target))
            )
        return found

    return agents


@asynccontextmanager
async def open_agent_client(settings: AgentSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client for remote agents and endpoints, open as long as the runtime."""
    timeout = httpx.Timeout(10.0, connect=settings.agent_connect_timeout_seconds, read=settings.agent_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout) as client:
        yield client


def legacy_endpoints(settings: AgentSettings, client: httpx.AsyncClient) -> dict[str, RemoteEndpoint]:
    """One client per legacy CopilotKit endpoint, by the entry's name."""
    ttl = settings.remote_info_ttl_seconds
    return {
        entry.name: RemoteEndpoint(entry.url, client, label=entry.name, ttl_seconds=ttl)
        for entry in settings.agents
        if entry.kind == "copilotkit-remote" and entry.url is not None
    }


def configured_agents(
    settings: AgentSettings,
    python_agents: Mapping[str, Any],
    client: httpx.AsyncClient,
    endpoints: Mapping[str, RemoteEndpoint],
    factory: AgentsFactory | None = None,
) -> ConfiguredAgents:
    """Every configured agent; a legacy endpoint stands for the agents it lists (the entry's name only
    labels it in the settings)."""
    agents: list[Entry] = []
    for entry in settings.agents:
        descriptor = AgentDescriptor(entry.name, entry.description)
        if entry.kind == "python":
            agents.append((descriptor, PythonAgent(entry.name, python_agents[entry.name])))
        elif entry.kind == "agui-http" and entry.url is not None:
            agents.append((descriptor, HttpAgent(entry.name, entry.url, client, entry.headers)))
        elif entry.name in endpoints:
            agents.append(endpoints[entry.name])
        else:
            agents.append((descriptor, Unsupported(entry.name, entry.kind)))
    return ConfiguredAgents(agents, per_request_agents(factory))
