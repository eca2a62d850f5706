"""What a v2 request sends, read the same way from its own route and from the single-route envelope:
the path parameters, the query, and a JSON body validated as AG-UI's `RunAgentInput`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from ag_ui.core import RunAgentInput
from pydantic import ValidationError
from starlette.requests import Request

from agui_runtime.adapters.inbound.agui.errors import Refused, invalid_body
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.tools import ModelParameters, ToolDefinition


@dataclass(frozen=True, slots=True)
class Call:
    """One v2 request. `params` are the path's (decoded); an envelope call carries its JSON `body`
    instead of reading the request's."""

    request: Request
    params: Mapping[str, str]
    query: Mapping[str, str]
    single_route: bool = False
    body: object = None

    async def json(self) -> object:
        """The body, None when it is empty."""
        if self.single_route:
            return self.body
        raw = await self.request.body()
        if not raw.strip():
            return None
        content_type = self.request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type and content_type != "application/json":
            raise Refused(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise invalid_body([{"path": [], "message": "not valid JSON"}]) from exc

    async def run_input(self) -> RunAgentInput:
        body = await self.json()
        if body is None and not self.single_route:
            raise invalid_body([{"path": [], "message": "the body is empty"}])
        if not isinstance(body, dict):
            raise invalid_body([{"path": [], "message": "the body must be a JSON object"}])
        try:
            # `forwardedProps` is optional on the wire (as in @ag-ui/core's schema); ag_ui's model requires it.
            run_input = RunAgentInput.model_validate({"forwardedProps": {}, **body})
        except ValidationError as exc:
            raise invalid_body(_validation_details(exc)) from exc
        empty = [name for name, value in (("threadId", run_input.thread_id), ("runId", run_input.run_id)) if not value]
        if empty:
            raise invalid_body([{"path": [name], "message": "must not be empty"} for name in empty])
        return run_input


def _validation_details(error: ValidationError) -> list[JsonObject]:
    # Where and what kind of error only: pydantic's `input`, and some of its messages, echo what was sent.
    return [
        {"path": [str(part) for part in item["loc"]], "message": _PROBLEMS.get(item["type"], "invalid value")}
        for item in error.errors()
    ]


_PROBLEMS = {
    "missing": "required",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "union_tag_invalid": "unknown kind",
    "union_tag_not_found": "the kind is missing",
    "string_too_short": "must not be empty",
}


def tools(run_input: RunAgentInput) -> tuple[ToolDefinition, ...]:
    empty: JsonObject = {"type": "object", "properties": {}}
    return tuple(
        ToolDefinition(t.name, t.description, t.parameters if isinstance(t.parameters, dict) else empty)
        for t in run_input.tools
    )


def context_pairs(run_input: RunAgentInput) -> tuple[tuple[str, str], ...]:
    return tuple((c.description, c.value) for c in run_input.context)


def parameters(forwarded: object) -> ModelParameters:
    """`forwardedProps.toolChoice` (the suggestion engine forces its tool this way)."""
    if not isinstance(forwarded, dict):
        return ModelParameters()
    choice = forwarded.get("toolChoice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        if isinstance(name, str) and name:
            return ModelParameters(tool_choice="function", tool_choice_function_name=name)
    if isinstance(choice, str) and choice in ("auto", "none", "required"):
        return ModelParameters(tool_choice=choice)
    return ModelParameters()
