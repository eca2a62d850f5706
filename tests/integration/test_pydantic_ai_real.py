"""A real pydantic-ai agent (`AGUIAdapter`, on a function model: no network), in process and over HTTP,
through both real clients (v1 GraphQL 1.10.6; v2 `@ag-ui/client` 0.0.59 / `@copilotkit/core` 1.75):
text, state over two turns, the page's tool and the run after it, a backend action, an approval
interrupt and its resume, an upstream error, reload, and three runs at once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.chat import text
from tests.integration.conftest import ServeFactory, ServerProcess, node_client, v2_client
from tests.integration.test_agents import agent_data, generate, states_of
from tests.integration.test_chat_streaming import response_of

IN_PROCESS = '[[agents]]\nname = "cart"\nkind = "python"\nimport = "tests.integration.sample_pydantic_ai_full:cart"\n'
WEATHER = (
    '[[actions]]\nname = "getWeather"\ndescription = "Weather"\n'
    'handler = "tests.integration.sample_actions:get_weather"\n'
)
CARD = {"name": "showCard", "description": "Show a card", "parameters": {"type": "object", "properties": {}}}


@pytest.fixture(scope="module")
def pydantic_http() -> Iterator[str]:
    """pydantic-ai's own AG-UI endpoint in a uvicorn process of its own, as a team deploys it (and away
    from this test process's warnings-as-errors: pydantic-ai warns when it strips a client's system
    message, which the v1 client always sends)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.integration.sample_pydantic_ai_full:http_app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/cart"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("pydantic-ai's AG-UI server did not start")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=["in-process", "http"])
def runtime(request: pytest.FixtureRequest, serve: ServeFactory, pydantic_http: str) -> ServerProcess:
    agent = (
        IN_PROCESS
        if request.param == "in-process"
        else (f'[[agents]]\nname = "cart"\nkind = "agui-http"\nurl = "{pydantic_http}"\n')
    )
    return serve(WEATHER + agent)


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def _v2(server: ServerProcess, scenario: str, args: dict[str, Any]) -> dict[str, Any]:
    result = v2_client(server.url, scenario, {"agentId": "cart", **args})
    assert result["schemaErrors"] == [], result["schemaErrors"]
    return result


def test_text_and_state_over_two_turns_then_a_reload_v2(runtime: ServerProcess) -> None:
    first = _v2(runtime, "core-run", {"threadId": "p-state", "userMessage": "add milk"})
    assert first["ok"], first
    assert first["state"] == {"items": ["milk"]}
    assert first["messages"][-1]["content"] == "Done: add_item said 1 items."

    history = first["messages"]
    second = _v2(
        runtime,
        "core-run",
        {"threadId": "p-state", "messages": history, "state": first["state"], "userMessage": "add eggs"},
    )
    assert second["ok"], second
    assert second["state"] == {"items": ["milk", "eggs"]}  # the client's state reached the agent
    assert second["messages"][-1]["content"] == "Done: add_item said 2 items."

    reloaded = _v2(runtime, "core-connect", {"threadId": "p-state"})
    assert reloaded["state"] == {"items": ["milk", "eggs"]}
    assert [m["role"] for m in reloaded["messages"]] == [m["role"] for m in second["messages"]]


def test_text_and_state_over_two_turns_then_a_reload_v1(runtime: ServerProcess) -> None:
    first = response_of(generate(runtime.url, agent_data("cart", "p-v1", [text("u1", "add milk")])))
    assert first["status"]["code"] == "Success", first["status"]
    assert json.loads(states_of(first)[-1]["state"]) == {"items": ["milk"]}
    said = ["".join(m["content"]) for m in first["messages"] if m["__typename"] == "TextMessageOutput"]
    assert said[-1] == "Done: add_item said 1 items."

    turn = [text("u1", "add milk"), text("u2", "add eggs")]
    second = response_of(generate(runtime.url, agent_data("cart", "p-v1", turn, state={"items": ["milk"]})))
    assert second["status"]["code"] == "Success", second["status"]
    assert json.loads(states_of(second)[-1]["state"]) == {"items": ["milk", "eggs"]}

    loaded = node_client(runtime.url, "loadAgentState", json.dumps({"threadId": "p-v1", "agentName": "cart"}))
    state = loaded["data"]["loadAgentState"]  # type: ignore[index]
    assert json.loads(state["state"]) == {"items": ["milk", "eggs"]}


def test_the_pages_tool_and_the_run_after_it(runtime: ServerProcess) -> None:
    run = _v2(
        runtime,
        "agui-run",
        {
            "threadId": "p-card",
            "userMessage": "card Hello",
            "tools": [CARD],
            "continue": True,
            "toolResults": {"showCard": {"shown": True}},
        },
    )
    assert run.get("error") is None, run
    assert len(run["runs"]) == 2  # the client ran the tool and started the next run
    assert [m["role"] for m in run["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert run["messages"][-1]["content"].startswith("Done: showCard said")


def test_a_backend_action_the_agent_calls_is_run_by_the_runtime(runtime: ServerProcess) -> None:
    response = response_of(generate(runtime.url, agent_data("cart", "p-weather", [text("u1", "weather Oslo")])))
    assert response["status"]["code"] == "Success", response["status"]
    result = next(m for m in response["messages"] if m["__typename"] == "ResultMessageOutput")
    assert (result["actionName"], json.loads(result["result"])["city"]) == ("getWeather", "Oslo")


def test_an_approval_interrupt_and_its_resume(runtime: ServerProcess) -> None:
    asked = _v2(runtime, "agui-run", {"threadId": "p-approve", "userMessage": "empty", "state": {"items": ["milk"]}})
    assert asked.get("error") is None, asked
    [finished] = [e for e in asked["events"] if e["type"] == "RUN_FINISHED"]
    [interrupt] = finished["outcome"]["interrupts"]
    assert finished["outcome"]["type"] == "interrupt"
    assert interrupt["toolCallId"] == "call-empty"
    assert asked["state"] == {"items": ["milk"]}  # nothing ran before the user approved

    # a reloaded page gets the pending interrupt back
    replayed = _v2(runtime, "core-connect", {"threadId": "p-approve"})
    ended = [e for e in replayed["events"] if e["type"] == "RUN_FINISHED"]
    assert ended[-1]["outcome"]["interrupts"][0]["id"] == interrupt["id"]

    answer = [{"interruptId": interrupt["id"], "status": "resolved", "payload": {"approved": True}}]
    resumed = _v2(
        runtime,
        "agui-run",
        {"threadId": "p-approve", "messages": asked["messages"], "state": asked["state"], "resume": answer},
    )
    assert resumed.get("error") is None, resumed
    assert resumed["messages"][-1]["content"] == "Done: empty_cart said the cart is empty."


def test_an_upstream_error_ends_the_run_clearly_and_keeps_the_thread(runtime: ServerProcess) -> None:
    failed = _v2(runtime, "agui-run", {"threadId": "p-fail", "userMessage": "fail now"})
    [error] = [e for e in failed["events"] if e["type"] == "RUN_ERROR"]
    assert "the model broke" in error["message"]
    assert "Traceback" not in json.dumps(failed["events"])
    # the thread takes the next run at once
    again = _v2(runtime, "agui-run", {"threadId": "p-fail", "userMessage": "hello"})
    assert again.get("error") is None, again
    assert again["messages"][-1]["content"] == "You said: hello"
    stored = httpx.get(f"{runtime.url}/threads/p-fail/messages").json()["messages"]
    assert [m["content"] for m in stored if m["role"] == "user"] == ["fail now", "hello"]


def test_three_runs_at_once_each_get_their_own_answer(runtime: ServerProcess) -> None:
    def one(index: int) -> dict[str, Any]:
        return _v2(runtime, "agui-run", {"threadId": f"p-many-{index}", "userMessage": f"slow {index}"})

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(one, range(3)))

    for index, result in enumerate(results):
        assert result.get("error") is None, result
        assert result["messages"][-1]["content"] == f"Slow answer {index}"
