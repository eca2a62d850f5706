"""PythonActionRegistry: schemas, validation, execution, result encoding, timeouts (no I/O)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pydantic import BaseModel

from agui_runtime.adapters.outbound.actions import PythonActionRegistry, backend_action, load_action
from agui_runtime.application.requests import RequestContext


class Forecast(BaseModel):
    day: str
    high: int


@backend_action
def add(a: int, b: int = 1) -> int:
    """Adds two numbers."""
    return a + b


NO_REQUEST = RequestContext()


def registry(*handlers: Any, timeout: float = 1.0) -> PythonActionRegistry:
    return PythonActionRegistry([h if not callable(h) else backend_action(h) for h in handlers], timeout)


async def test_the_schema_and_description_come_from_the_handler() -> None:
    [tool] = await PythonActionRegistry([add], 1).definitions()
    assert (tool.name, tool.description) == ("add", "Adds two numbers.")
    assert tool.parameters["required"] == ["a"]
    properties: Any = tool.parameters["properties"]
    assert properties["a"]["type"] == "integer"
    assert properties["b"]["default"] == 1


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("plain text", "plain text"),
        (None, ""),
        (42, "42"),
        (True, "true"),
        (0, "0"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'),
    ],
)
async def test_results_are_strings_as_they_are_and_json_otherwise(value: Any, encoded: str) -> None:
    def give() -> Any:
        return value

    outcome = await registry(give).execute("give", {}, NO_REQUEST)
    assert (outcome.result, outcome.error_code) == (encoded, None)


async def test_a_pydantic_result_is_its_json() -> None:
    async def forecast() -> Forecast:
        return Forecast(day="mon", high=20)

    assert (await registry(forecast).execute("forecast", {}, NO_REQUEST)).result == '{"day":"mon","high":20}'


async def test_arguments_are_validated_against_the_schema() -> None:
    outcome = await PythonActionRegistry([add], 1).execute("add", {"a": "one"}, NO_REQUEST)
    assert outcome.error_code == "INVALID_ARGUMENTS"
    assert outcome.as_result_text().startswith('{"error":{"code":"INVALID_ARGUMENTS","message":"a: ')


async def test_a_raising_handler_gives_the_handler_error_envelope() -> None:
    def broken() -> None:
        raise ValueError("handler failed")

    outcome = await registry(broken).execute("broken", {}, NO_REQUEST)
    assert outcome.as_result_text() == '{"error":{"code":"HANDLER_ERROR","message":"handler failed"},"result":""}'


async def test_sync_and_async_handlers_time_out() -> None:
    def blocking() -> str:
        time.sleep(0.5)
        return "late"

    async def waiting() -> str:
        await asyncio.sleep(5)
        return "late"

    slow = registry(blocking, waiting, timeout=0.1)
    for name in ("blocking", "waiting"):
        outcome = await slow.execute(name, {}, NO_REQUEST)
        assert outcome.error_code == "HANDLER_TIMEOUT"
        assert "0.1 s" in (outcome.error_message or "")


async def test_a_sync_handler_runs_in_a_thread_and_does_not_block_the_loop() -> None:
    def blocking() -> str:
        time.sleep(0.3)
        return "done"

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    outcome = await registry(blocking).execute("blocking", {}, NO_REQUEST)
    ticker.cancel()
    assert outcome.result == "done"
    assert ticks > 10


def test_configured_actions_are_imported_with_a_clear_error_when_missing() -> None:
    loaded = load_action("weather", "tests.integration.sample_actions:get_weather", "", None)
    assert loaded.parameters["required"] == ["city"]
    assert loaded.description == "Current weather for a city."
    with pytest.raises(ValueError, match="cannot import module 'no_such_module'"):
        load_action("x", "no_such_module:f", "", None)
    with pytest.raises(ValueError, match="has no 'missing'"):
        load_action("x", "tests.integration.sample_actions:missing", "", None)
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        PythonActionRegistry([backend_action(add.handler, name="bad", parameters={"type": 7})], 1)


async def test_a_handler_declaring_a_request_context_parameter_receives_it_and_the_model_does_not_see_it() -> None:
    seen: list[RequestContext] = []

    def whoami(greeting: str, request: RequestContext) -> str:
        seen.append(request)
        return f"{greeting} {request.principal} {request.properties['tenant']} {request.headers['x-trace']}"

    action = backend_action(whoami)
    assert action.parameters["properties"] == {"greeting": {"title": "Greeting", "type": "string"}}
    assert action.parameters["required"] == ["greeting"]
    context = RequestContext(properties={"tenant": "acme"}, headers={"x-trace": "t-1"}, principal="alice")
    outcome = await PythonActionRegistry([action], 1).execute("whoami", {"greeting": "hi"}, context)
    assert outcome.result == "hi alice acme t-1"
    assert seen == [context]
