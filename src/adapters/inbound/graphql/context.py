"""What a resolver reaches through `info.context`: the use-cases, resolved once per app."""

from __future__ import annotations

from dataclasses import dataclass

from application.use_cases.list_agents import ListAgents
from application.use_cases.load_agent_state import LoadAgentState


@dataclass(frozen=True, slots=True)
class UseCases:
    list_agents: ListAgents
    load_agent_state: LoadAgentState


@dataclass(frozen=True, slots=True)
class GraphQLContext:
    use_cases: UseCases
