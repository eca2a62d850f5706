"""Limits (issue: a request can ask for only so much) and what an over-limit request gets: a clear error with
a stable code, and no work started (the mock model is never asked)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE
from tests.integration.chat import chat_data, text
from tests.integration.conftest import CLIENT_ACCEPT, ClientFactory, make_settings
from tests.integration.mock_llm import MockLLM, Reply
from tests.integration.test_compiled_chat import parse_multipart

PATH = "/api/copilotkit"


def model(mock: MockLLM, **values: object) -> dict[str, object]:
    return {"llm_provider": "openai", "llm_model": "m", "llm_base_url": mock.url, "llm_api_key": "sk-x", **values}


async def chat(client: httpx.AsyncClient, data: dict[str, Any], properties: object = None) -> list[dict[str, Any]]:
    variables: dict[str, Any] = {"data": data}
    if properties is not None:
        variables["properties"] = properties
    response = await client.post(
        PATH, json={"query": GENERATE_COPILOT_RESPONSE, "variables": variables}, headers={"accept": CLIENT_ACCEPT}
    )
    if response.headers["content-type"].startswith("multipart/mixed"):
        return parse_multipart(response.content)
    return [response.json()]


def codes(payloads: list[dict[str, Any]]) -> list[str]:
    found = [error["extensions"]["code"] for payload in payloads for error in payload.get("errors", [])]
    for payload in payloads:
        for item in payload.get("incremental", []):
            status = (item.get("data") or {}).get("status") or {}
            if status.get("code") == "Failed":
                found.append(status["reason"])
            found += [error["extensions"]["code"] for error in item.get("errors", [])]
    return found


async def test_documents_over_the_query_limits_are_refused_before_anything_runs(
    client_for: ClientFactory, mock_llm: MockLLM
) -> None:
    client = await client_for(make_settings(**model(mock_llm), max_query_tokens=200_000))
    mutation = "mutation($d: GenerateCopilotResponseInput!) { %s }"
    two_chats = mutation % " ".join(f"c{i}: generateCopilotResponse(data: $d) {{ threadId }}" for i in range(2))
    many_aliases = "{ " + " ".join(f"a{i}: hello" for i in range(1000)) + " }"
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(5000))
    nested_fragments = "{ ...F0 }\n" + chain + "\nfragment F5000 on Query { hello }"
    deep = "{ availableAgents " + "{ agents " * 30 + "{ id }" + " }" * 30 + " }"
    unreadable = "{ hello " + "{ a " * 3000 + "}" * 3000 + " }"

    answers = {}
    for name, query in [
        ("two chats", two_chats),
        ("aliases", many_aliases),
        ("fragments", nested_fragments),
        ("depth", deep),
        ("unreadable", unreadable),
    ]:
        response = await client.post(PATH, json={"query": query, "variables": {"d": chat_data("t", [])}})
        answers[name] = (response.status_code, response.json()["errors"][0])

    assert {name: error["extensions"]["code"] for name, (_, error) in answers.items()} == {
        **dict.fromkeys(answers, "QUERY_TOO_COMPLEX"),
        "unreadable": "GRAPHQL_PARSE_FAILED",  # graphql-core's own guard: "nested too deeply"
    }
    assert "at most 1 time" in answers["two chats"][1]["message"]
    assert all(status < 500 for status, _ in answers.values())
    assert mock_llm.requests == []
    one_chat = mutation % "generateCopilotResponse(data: $d) { threadId }"
    mock_llm.script(Reply(tokens=["ok"]))
    allowed = await client.post(PATH, json={"query": one_chat, "variables": {"d": chat_data("t", [text("u", "hi")])}})
    assert "errors" not in allowed.json()


async def test_too_many_or_too_large_messages_are_refused_with_their_code(
    client_for: ClientFactory, mock_llm: MockLLM
) -> None:
    client = await client_for(make_settings(**model(mock_llm), max_messages=3, max_message_bytes=1000))

    many = await chat(client, chat_data("t-many", [text(f"u{i}", "hi") for i in range(3)]))
    large = await chat(client, chat_data("t-large", [text("u1", "x" * 1001)]))
    v2 = await client.post(
        f"{PATH}/agent/default/run",
        json={
            "threadId": "t-v2",
            "runId": "r-v2",
            "state": {},
            "messages": [{"id": f"u{i}", "role": "user", "content": "hi"} for i in range(4)],
            "tools": [],
            "context": [],
            "forwardedProps": {},
        },
    )

    assert codes(many) == ["TOO_MANY_MESSAGES"]
    assert codes(large) == ["MESSAGE_TOO_LARGE"]
    assert (v2.status_code, v2.json()["code"]) == (413, "TOO_MANY_MESSAGES")
    assert mock_llm.requests == []


async def test_values_the_client_sent_are_not_echoed_in_variable_errors(client_for: ClientFactory) -> None:
    client = await client_for(make_settings())
    data = chat_data("t", [{"id": "u1", "createdAt": "2026-01-01T00:00:00Z", "textMessage": {"content": 7}}])
    data["messages"][1]["textMessage"]["content"] = {"apiKey": "sk-LEAK-CONTENT"}

    wrong_properties = await chat(client, chat_data("t", []), properties="sk-LEAK-PROPERTIES")
    wrong_content = await chat(client, data, properties={"apiKey": "sk-LEAK-OK"})

    body = json.dumps([wrong_properties, wrong_content])
    assert "sk-LEAK" not in body
    assert codes(wrong_properties) == ["BAD_USER_INPUT"]
    assert wrong_properties[0]["errors"][0]["message"] == (
        "Variable '$properties' got an invalid value: Expected value of type 'JSONObject'."
    )
    assert wrong_content[0]["errors"][0]["message"] == (
        "Variable '$data' got an invalid value at '.messages[1].textMessage.content': "
        "String cannot represent a non string value."
    )


async def test_every_request_error_carries_a_code(client_for: ClientFactory) -> None:
    client = await client_for(make_settings())
    syntax = (await client.post(PATH, json={"query": "{ hello"})).json()["errors"][0]
    unknown = (await client.post(PATH, json={"query": "{ nope }"})).json()["errors"][0]
    unused = (await client.post(PATH, json={"query": "query($x: Int) { hello }"})).json()["errors"][0]
    missing = (await client.post(PATH, json={"query": "query($x: Int!) { hello(x: $x) }"})).json()["errors"][0]

    assert syntax["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert unknown["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (unused["message"], unused["extensions"]["code"]) == (
        "Variable '$x' is never used.",
        "GRAPHQL_VALIDATION_FAILED",
    )
    assert missing["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")


async def test_production_turns_introspection_off(client_for: ClientFactory) -> None:
    open_client = await client_for(make_settings())
    production = await client_for(make_settings(production=True))
    query = {"query": "{ __schema { queryType { name } } }"}

    assert (await open_client.post(PATH, json=query)).json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    refused = (await production.post(PATH, json=query)).json()
    assert "introspection" in refused["errors"][0]["message"].lower()


@pytest.mark.parametrize(
    ("reply", "patience", "message"),
    [
        (Reply(tokens=["a", "b"], delay=1.5), {"llm_first_token_timeout_seconds": 0.3}, "no first token within 0.3 s"),
        (
            Reply(tokens=["a", "b", "c"], delay=0.6),
            {"llm_first_token_timeout_seconds": 5, "llm_idle_timeout_seconds": 0.3},
            "nothing for 0.3 s mid-answer",
        ),
    ],
    ids=["first-token", "idle"],
)
async def test_a_stalled_model_fails_the_run_with_upstream_timeout(
    client_for: ClientFactory, mock_llm: MockLLM, reply: Reply, patience: dict[str, float], message: str
) -> None:
    client = await client_for(make_settings(**model(mock_llm, **patience)))
    mock_llm.script(reply)

    payloads = await chat(client, chat_data("t-stall", [text("u1", "hi")]))

    sent = json.dumps(payloads)
    assert "UPSTREAM_TIMEOUT" in sent
    assert message in sent
    for _ in range(40):  # the mock notices the closed connection at its next write
        if mock_llm.disconnects:
            break
        await asyncio.sleep(0.05)
    assert mock_llm.disconnects, "the stalled upstream request was not closed"


async def test_a_run_past_its_time_limit_is_cut_off_and_its_upstream_call_closed(
    client_for: ClientFactory, mock_llm: MockLLM
) -> None:
    client = await client_for(make_settings(**model(mock_llm, max_run_seconds=0.5)))
    mock_llm.script(Reply(tokens=[f"w{i} " for i in range(40)], delay=0.05))

    payloads = await chat(client, chat_data("t-long", [text("u1", "hi")]))

    sent = json.dumps(payloads)
    assert "RUN_TIMEOUT" in sent
    assert "longer than 0.5 s (AGUI_MAX_RUN_SECONDS)" in sent
    for _ in range(40):
        if mock_llm.disconnects:
            break
        await asyncio.sleep(0.05)
    assert mock_llm.disconnects
