"""Legacy CopilotKit remote endpoints (the Python SDK's `add_fastapi_endpoint`): agents discovered with
`POST {url}/info`, run with `POST {url}/agents/execute` (LangGraph events as JSON lines, turned into
AG-UI events here so they take the same path as every other agent), state read with
`POST {url}/agents/state`. By concern: `client` (the endpoint: discovery, cache, retries, actions,
state), `wire` (the legacy JSON shapes), `run` (one agent's run) and `langgraph` (the translator)."""

from agui_runtime.adapters.outbound.agents.copilotkit_remote.client import RemoteEndpoint
from agui_runtime.adapters.outbound.agents.copilotkit_remote.langgraph import LangGraphEvents
from agui_runtime.adapters.outbound.agents.copilotkit_remote.run import RemoteAgent
from agui_runtime.adapters.outbound.agents.copilotkit_remote.wire import (
    RemoteInfo,
    legacy_messages,
    parameters_schema,
)

__all__ = ["LangGraphEvents", "RemoteAgent", "RemoteEndpoint", "RemoteInfo", "legacy_messages", "parameters_schema"]
