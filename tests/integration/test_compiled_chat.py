"""Differential test of the compiled chat path (`adapters.inbound.graphql.compiled`): the same requests,
on the same scripted runs, through an app on the compiled path and one on graphql-core's generic
incremental executor. Both must send the same initial payload, the same entries (every stream item at its
path, every deferred fragment, keys in the same order) and merge into the same result; error responses
must be byte for byte the same."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateSnapshotEvent,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE
from agui_runtime.application.errors import RequestRejected
from agui_runtime.application.requests import BeforeRequest
from tests.integration.chat import action, chat_data, request_body, result, text
from tests.integration.conftest import CLIENT_ACCEPT, ClientFactory, make_settings, node_client
from tests.integration.loopback import Loopback
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.sample_agents import text_events, tool_call_events
from tests.integration.test_chat_streaming import SET_COLOR
from tests.integration.test_request_pipeline import GUARDED


class ScriptedAgent:
    """An agent whose reply the user's text names: state, text, a frontend call, both interrupt kinds,
    a failure."""

    async def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        said = next((m.content for m in reversed(run_input.messages) if m.role == "user"), "")
        thread, run = run_input.thread_id, run_input.run_id
        yield RunStartedEvent(thread_id=thread, run_id=run)
        yield StateSnapshotEvent(snapshot={"step": said, "items": [1, 2]})
        if said == "interrupts":
            yield CustomEvent(name="on_interrupt", value={"question": "Proceed?"})
            messages = [
                {"id": "m-text", "role": "assistant", "content": "Please confirm."},
                {"id": "m-call", "name": "confirm", "arguments": {"really": True}},
            ]
            yield CustomEvent(name="on_copilotkit_interrupt", value={"value": "confirm?", "messages": messages})
        elif said == "fail":
            for event in text_events("Half an ans"):
                yield event
            yield RunErrorEvent(message="The agent broke.", code="BROKEN")
            return
        else:
            for event in text_events(f"You said {said}."):
                yield event
            for event in tool_call_events("setColor", {"color": "red"}, "p1"):
                yield event
        yield RunFinishedEvent(thread_id=thread, run_id=run)


scripted = ScriptedAgent()

SETTINGS: dict[str, Any] = {
    "llm_provider": "openai",
    "llm_model": "mock-model",
    "llm_api_key": "sk-test",
    "agents": [{"name": "scripted", "kind": "python", "import": "tests.integration.test_compiled_chat:scripted"}],
    "actions": [{"name": "getWeather", "handler": "tests.integration.sample_actions:get_weather"}],
    "on_before_request": "tests.integration.test_compiled_chat:reject_blocked",
}


def reject_blocked(ctx: BeforeRequest) -> None:
    if ctx.request.properties.get("blocked"):
        raise RequestRejected("This tenant is blocked.", code="QUOTA_EXCEEDED")


def agent_turn(thread: str, said: str) -> dict[str, Any]:
    return chat_data(thread, [text("u1", said)], agentSession={"agentName": "scripted"})


Case = tuple[str, list[Reply], dict[str, Any]]
CASES: list[Case] = [
    ("text", [Reply(tokens=["Hello", " there", ", friend."])], request_body(chat_data("t1", [text("u1", "hi")]))),
    (
        "text then frontend call",
        [Reply(tokens=["Sure."], tool_calls=[ToolCall("call-1", "setColor", ['{"color"', ': "red"}'])])],
        request_body(chat_data("t2", [text("u1", "red please")], [SET_COLOR])),
    ),
    (
        "parallel calls",
        [Reply(tool_calls=[ToolCall("c-a", "setColor", ['{"color":"a"}']), ToolCall("c-b", "setColor", ["{}"])])],
        request_body(chat_data("t3", [text("u1", "two")], [SET_COLOR])),
    ),
    (
        "backend action result",
        [Reply(tool_calls=[ToolCall("w-1", "getWeather", ['{"city": "Paris"}'])])],
        request_body(chat_data("t4", [text("u1", "weather?")])),
    ),
    (
        "follow-up with a result",
        [Reply(tokens=["Done."])],
        request_body(
            chat_data("t5", [text("u1", "go"), action("c1", "setColor", "{}"), result("r1", "c1", "setColor", "ok")])
        ),
    ),
    (
        "upstream failure",
        [Reply(status=500, error={"error": {"message": "overloaded"}})],
        request_body(chat_data("t6", [text("u1", "x")])),
    ),
    (
        "cut mid-stream",
        [Reply(tokens=["one ", "two ", "three"], break_after=3)],
        request_body(chat_data("t7", [text("u1", "x")])),
    ),
    ("agent text, state and call", [], request_body(agent_turn("t8", "hello"))),
    ("agent interrupts", [], request_body(agent_turn("t9", "interrupts"))),
    ("agent failure", [], request_body(agent_turn("t10", "fail"))),
    (
        "guardrails denial",
        [Reply(tokens=['{"status": "denied", "reason": "Only cooking."}'])],
        request_body(chat_data("t11", [text("u1", "Who wins?")], **GUARDED)),
    ),
    ("unknown agent", [], request_body(chat_data("t12", [text("u1", "x")], agentSession={"agentName": "nobody"}))),
    (
        "rejected by the hook",
        [],
        {
            **request_body(chat_data("t13", [text("u1", "x")])),
            "variables": {"data": chat_data("t13", [text("u1", "x")]), "properties": {"blocked": True}},
        },
    ),
    ("variables of the wrong type", [], {**request_body(chat_data("t14", [])), "variables": {"data": {"threadId": 5}}}),
]


SINGLE_RESULTS = ("unknown agent", "rejected by the hook", "variables of the wrong type")


def parse_multipart(body: bytes) -> list[dict[str, Any]]:
    parts = body.split(b"\r\n---")
    assert parts[0] == b""
    assert parts[-1] == b"--\r\n"
    return [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in parts[1:-1]]


def parse_sse(body: bytes) -> list[dict[str, Any]]:
    events = [event for event in body.decode().split("\n\n") if event.startswith("event: next")]
    return [json.loads(event.split("data: ", 1)[1]) for event in events]


def normalized(value: Any) -> Any:
    """Timestamps and generated ids differ between two runs of the same script."""
    text_form = json.dumps(value)
    text_form = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>", text_form)
    text_form = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text_form)
    text_form = re.sub(r"result-[\w-]+|chatcmpl-mock-\d+", "<mock-id>", text_form)
    return json.loads(text_form)


def facts(payloads: list[dict[str, Any]]) -> list[str]:
    """Each stream item at its own path and each deferred fragment, as JSON with keys in sent order."""
    found = [json.dumps(payloads[0])]
    for payload in payloads[1:]:
        for entry in payload.get("incremental", ()):
            if "items" in entry:
                *base, start = entry["path"]
                found += [json.dumps([*base, start + i, item]) for i, item in enumerate(entry["items"])]
            else:
                found.append(json.dumps(entry))
    return sorted(found)


def merged(payloads: list[dict[str, Any]]) -> Any:
    """urql's merge of the legacy format."""
    result = copy.deepcopy(payloads[0]["data"])

    def at(path: list[Any]) -> Any:
        target = result
        for key in path:
            target = target[key]
        return target

    for payload in payloads[1:]:
        for entry in payload.get("incremental", ()):
            if "items" in entry:
                target = at(entry["path"][:-1])
                for offset, item in enumerate(entry["items"]):
                    index = entry["path"][-1] + offset
                    target.extend([None] * (index + 1 - len(target)))
                    target[index] = item
            elif "data" in entry:
                at(entry["path"]).update(entry["data"])
    return result


@pytest.fixture
async def clients(client_for: ClientFactory, mock_llm: MockLLM) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    compiled = await client_for(make_settings(**SETTINGS, llm_base_url=mock_llm.url, compiled_chat=True))
    generic = await client_for(make_settings(**SETTINGS, llm_base_url=mock_llm.url, compiled_chat=False))
    return compiled, generic


def test_the_compiled_document_is_what_the_real_client_sends() -> None:
    sent: list[dict[str, Any]] = []

    async def record(request: Request) -> Response:
        sent.append(await request.json())
        return JSONResponse({"errors": [{"message": "recorded"}], "data": None})

    server = Loopback(Starlette(routes=[Route("/api/copilotkit", record, methods=["POST"])]), "recorder")
    url = server.start()
    try:
        node_client(f"{url}/api/copilotkit", "generate", json.dumps({"data": chat_data("t0", [text("u1", "hi")])}))
    finally:
        server.stop()
    [body] = sent
    assert body["operationName"] == "generateCopilotResponse"
    assert body["query"] == GENERATE_COPILOT_RESPONSE


@pytest.mark.parametrize(("name", "replies", "body"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("accept", [CLIENT_ACCEPT, "text/event-stream"], ids=["multipart", "sse"])
async def test_both_paths_send_the_same_response(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    mock_llm: MockLLM,
    name: str,
    replies: list[Reply],
    body: dict[str, Any],
    accept: str,
) -> None:
    answers = []
    for client in clients:
        mock_llm.script(*copy.deepcopy(replies))
        answers.append(await client.post("/api/copilotkit", json=body, headers={"accept": accept}))
    compiled, generic = answers
    assert (compiled.status_code, compiled.headers["content-type"]) == (
        generic.status_code,
        generic.headers["content-type"],
    )
    if name in SINGLE_RESULTS:  # refused before any run: one JSON result with the errors
        assert not compiled.headers["content-type"].startswith(("multipart/mixed", "text/event-stream"))
        assert normalized(compiled.json()) == normalized(generic.json())
        assert "errors" in compiled.json()
        return
    parse = parse_sse if accept == "text/event-stream" else parse_multipart
    ours, theirs = normalized(parse(compiled.content)), normalized(parse(generic.content))
    assert facts(ours) == facts(theirs)
    assert merged(ours) == merged(theirs)
    assert ours[-1]["hasNext"] is False
    assert theirs[-1]["hasNext"] is False
    # the case exercised what it names: messages, or (for a failure before any) a failed status
    response = merged(ours)["generateCopilotResponse"]
    failed_at_once = name in ("upstream failure", "guardrails denial")
    assert bool(response["messages"]) is not failed_at_once
    assert response["status"]["code"] == ("Failed" if failed_at_once or "fail" in name or "cut" in name else "Success")
