"""Backend actions from several places (Python callables, legacy remote endpoints) as one registry."""

from __future__ import annotations

from collections.abc import Sequence

from agui_runtime.application.ports import ActionRegistry
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition


class CombinedActions(ActionRegistry):
    """The registries in order; a name is served by the first registry that lists it."""

    def __init__(self, registries: Sequence[ActionRegistry]) -> None:
        self._registries = list(registries)

    async def definitions(self) -> Sequence[ToolDefinition]:
        seen: set[str] = set()
        every: list[ToolDefinition] = []
        for registry in self._registries:
            for tool in await registry.definitions():
                if tool.name not in seen:
                    seen.add(tool.name)
                    every.append(tool)
        return every

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        for registry in self._registries:
            if any(tool.name == name for tool in await registry.definitions()):
                return await registry.execute(name, arguments, request)
        return ActionOutcome(error_code="UNKNOWN_ACTION", error_message=f"no backend action is named '{name}'")
