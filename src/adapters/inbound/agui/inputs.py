"""What a v2 request sends, read the same way from its own route and from the single-route envelope:
the path parameters, the query, and a JSON body validated as AG-UI's `RunAgentInput`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    """`forwardedProps.toolChoice`, always taken on the suggest route: the suggestion engine forces its
    tool this way."""
    if not isinstance(forwarded, dict):
        return ModelParameters()
    choice, name = _tool_choice(forwarded.get("toolChoice"))
    return ModelParameters(tool_choice=choice, tool_choice_function_name=name)


def overridden(forwarded: object, allowed: frozenset[str]) -> ModelParameters:
    """What a `default` agent run's `forwardedProps` sets, of the properties `allowed` (none unless
    configured, as in the reference). A value of the wrong type is left out, as there."""
    if not isinstance(forwarded, dict) or not allowed:
        return ModelParameters()
    props = {name: value for name, value in forwarded.items() if name in allowed}
    choice, name = _tool_choice(props.get("toolChoice"))
    stop = props.get("stopSequences")
    return ModelParameters(
        model=_typed(props.get("model"), str),
        max_tokens=_typed(props.get("maxOutputTokens"), int),
        stop=tuple(stop) if isinstance(stop, list) and all(isinstance(item, str) for item in stop) else (),
        tool_choice=choice,
        tool_choice_function_name=name,
        temperature=_number(props.get("temperature")),
        top_p=_number(props.get("topP")),
        top_k=_typed(props.get("topK"), int),
        presence_penalty=_number(props.get("presencePenalty")),
        frequency_penalty=_number(props.get("frequencyPenalty")),
        seed=_typed(props.get("seed"), int),
    )


def _tool_choice(choice: object) -> tuple[str | None, str | None]:
    """`auto`, `none`, `required`, or one tool: `{type: "tool", toolName}` (the reference's) or
    `{type: "function", function: {name}}` (OpenAI's, which the suggestion engine sends)."""
    if isinstance(choice, str) and choice in ("auto", "none", "required"):
        return choice, None
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else choice.get("toolName")
        if isinstance(name, str) and name:
            return "function", name
    return None, None


def _typed(value: object, kind: type[str] | type[int]) -> Any:
    # bool is an int in Python, never a token count or a seed here
    return value if isinstance(value, kind) and not isinstance(value, bool) and value != "" else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
