"""Agents the runtime routes to: AG-UI over HTTP, in-process Python objects, legacy CopilotKit endpoints."""

from agui_runtime.adapters.outbound.agents.agui_http import HttpAgent
from agui_runtime.adapters.outbound.agents.configured import (
    AgentSource,
    AguiAgent,
    ConfiguredAgents,
    Entry,
    Unsupported,
)
from agui_runtime.adapters.outbound.agents.copilotkit_remote import RemoteEndpoint
from agui_runtime.adapters.outbound.agents.python_agent import PythonAgent, load_python_agent

__all__ = [
    "AgentSource",
    "AguiAgent",
    "ConfiguredAgents",
    "Entry",
    "HttpAgent",
    "PythonAgent",
    "RemoteEndpoint",
    "Unsupported",
    "load_python_agent",
]
