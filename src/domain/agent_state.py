"""The state one agent keeps for one thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from agui_runtime.domain.errors import InvalidState
from agui_runtime.domain.json import JsonObject, is_json_value


@dataclass(frozen=True, slots=True)
class AgentStateKey:
    thread_id: str
    agent_name: str

    def __post_init__(self) -> None:
        if not self.thread_id or not self.agent_name:
            raise InvalidState("agent state is keyed by a non-empty thread id and agent name")


@dataclass(frozen=True, slots=True)
class AgentState:
    """A JSON object plus the version it was written at; every write moves the version up by one."""

    key: AgentStateKey
    values: JsonObject = field(default_factory=dict)
    version: int = 0

    def __post_init__(self) -> None:
        values: object = self.values  # checked at run time: callers may pass anything
        if not isinstance(values, dict) or not is_json_value(values):
            raise InvalidState(f"state of agent {self.key.agent_name!r} must be a JSON object")
        if self.version < 0:
            raise InvalidState("a state version is never negative")

    def replaced_by(self, values: JsonObject) -> AgentState:
        """The next version of this state holding `values`."""
        return AgentState(self.key, values, self.version + 1)
