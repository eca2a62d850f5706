"""One use-case a module."""

from agui_runtime.application.use_cases.generate_response import GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState
from agui_runtime.application.use_cases.run_agent import RunAgent
from agui_runtime.application.use_cases.suggest import Suggest
from agui_runtime.application.use_cases.threads import ThreadQueries

__all__ = ["GenerateResponse", "ListAgents", "LiveRunner", "LoadAgentState", "RunAgent", "Suggest", "ThreadQueries"]
