"""Agents the runtime routes to: AG-UI over HTTP, in-process Python objects."""

from adapters.outbound.agents.agui_http import HttpAgent
from adapters.outbound.agents.configured import AguiAgent, ConfiguredAgents, Unsupported
from adapters.outbound.agents.python_agent import PythonAgent, load_python_agent

__all__ = ["AguiAgent", "ConfiguredAgents", "HttpAgent", "PythonAgent", "Unsupported", "load_python_agent"]
