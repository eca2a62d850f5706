"""`ActionRegistry` over plain Python callables, sync or async.

Arguments are validated against the action's JSON Schema (given, or derived from the handler's type
hints with pydantic); the handler gets them as keyword arguments; sync handlers run in a worker thread
so a slow one never holds up another request's tokens; every run has a timeout. Results: a `str` as it
is, `None` as "", anything else as JSON."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, create_model

from agui_runtime.adapters.importing import import_object
from agui_runtime.application.ports import ActionRegistry
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition

logger = logging.getLogger("agui_runtime.actions")


@dataclass(frozen=True)
class BackendAction:
    """`context_parameter` names the handler's parameter annotated `RequestContext`, which receives the
    request's context (properties, forwarded headers, principal) instead of a model argument."""

    name: str
    handler: Callable[..., Any]
    description: str = ""
    parameters: JsonObject = field(default_factory=dict)
    context_parameter: str | None = None


def context_parameter(handler: Callable[..., Any]) -> str | None:
    """The name of the handler's parameter annotated `RequestContext`, if it has one."""
    for name, parameter in inspect.signature(handler, eval_str=True).parameters.items():
        if parameter.annotation is RequestContext:
            return name
    return None


def schema_from_hints(handler: Callable[..., Any]) -> JsonObject:
    """The JSON Schema of the handler's keyword parameters, from their type hints and defaults (the
    request-context parameter is not the model's to fill, so it is left out)."""
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(handler, eval_str=True).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.annotation is RequestContext:
            continue
        annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[name] = (annotation, default)
    model: type[BaseModel] = create_model(f"{handler.__name__}_arguments", **fields)
    schema: JsonObject = model.model_json_schema()
    schema.pop("title", None)
    return schema


def backend_action(
    handler: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: JsonObject | None = None,
) -> Any:
    """Make a `BackendAction` of a function; usable as `@backend_action` or `@backend_action(name=...)`.
    The description defaults to the docstring, the parameters to the schema of the type hints."""

    def wrap(function: Callable[..., Any]) -> BackendAction:
        return BackendAction(
            name=name or function.__name__,
            handler=function,
            description=description if description is not None else inspect.getdoc(function) or "",
            parameters=parameters if parameters is not None else schema_from_hints(function),
            context_parameter=context_parameter(function),
        )

    return wrap(handler) if handler is not None else wrap


def load_action(name: str, handler_path: str, description: str, parameters: JsonObject | None) -> BackendAction:
    """An action from configuration: `handler_path` is `module:function`. Raises ValueError with a
    message naming what could not be found."""
    target = import_object(handler_path, f"action '{name}'")
    if isinstance(target, BackendAction):
        target = target.handler
    if not callable(target):
        raise ValueError(f"action '{name}': '{handler_path}' is not callable")
    return backend_action(target, name=name, description=description or None, parameters=parameters)  # type: ignore[no-any-return]


class PythonActionRegistry(ActionRegistry):
    def __init__(self, actions: Sequence[BackendAction], timeout_seconds: float) -> None:
        self._actions = {action.name: action for action in actions}
        self._timeout = timeout_seconds
        self._validators: dict[str, Draft202012Validator] = {}
        for action in actions:
            try:
                Draft202012Validator.check_schema(action.parameters)
            except SchemaError as exc:
                raise ValueError(
                    f"action '{action.name}': parameters is not a valid JSON Schema: {exc.message}"
                ) from exc
            self._validators[action.name] = Draft202012Validator(action.parameters)

    async def definitions(self) -> Sequence[ToolDefinition]:
        return [ToolDefinition(a.name, a.description, a.parameters) for a in self._actions.values()]

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        action = self._actions.get(name)
        if action is None:
            return ActionOutcome(error_code="UNKNOWN_ACTION", error_message=f"no backend action is named '{name}'")
        problem = next(iter(sorted(self._validators[name].iter_errors(arguments), key=str)), None)
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "arguments"
            return ActionOutcome(error_code="INVALID_ARGUMENTS", error_message=f"{where}: {problem.message}")
        keywords: dict[str, object] = dict(arguments)
        if action.context_parameter is not None:
            keywords[action.context_parameter] = request
        try:
            if inspect.iscoroutinefunction(action.handler):
                value = await asyncio.wait_for(action.handler(**keywords), self._timeout)
            else:
                value = await asyncio.wait_for(asyncio.to_thread(action.handler, **keywords), self._timeout)
        except TimeoutError:
            # A thread cannot be stopped: a sync handler past its timeout finishes in the background.
            message = f"action '{name}' did not finish within {self._timeout:g} s (AGUI_ACTION_TIMEOUT_SECONDS)"
            return ActionOutcome(error_code="HANDLER_TIMEOUT", error_message=message)
        except Exception as exc:
            logger.info("action %s raised %s", name, type(exc).__name__)
            return ActionOutcome(error_code="HANDLER_ERROR", error_message=str(exc))
        return _encode(name, value)


def _encode(name: str, value: Any) -> ActionOutcome:
    if isinstance(value, str):
        return ActionOutcome(result=value)
    if value is None:
        return ActionOutcome(result="")
    if isinstance(value, BaseModel):
        return ActionOutcome(result=value.model_dump_json())
    try:
        return ActionOutcome(result=json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    except (TypeError, ValueError):
        message = f"action '{name}' returned a {type(value).__name__}, which is not JSON"
        return ActionOutcome(error_code="HANDLER_ERROR", error_message=message)
