"""The configured agents, built from the settings' `[[agents]]` entries in configuration order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx

from agui_runtime.adapters.outbound.agents.agui_http import HttpAgent
from agui_runtime.adapters.outbound.agents.configured import ConfiguredAgents, Entry, Unsupported
from agui_runtime.adapters.outbound.agents.copilotkit_remote import RemoteEndpoint
from agui_runtime.adapters.outbound.agents.python_agent import PythonAgent, load_python_agent
from agui_runtime.domain.agents import AgentDescriptor


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
    return ConfiguredAgents(agents)
