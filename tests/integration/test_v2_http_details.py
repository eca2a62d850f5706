"""The v2 HTTP details the reference (`@copilotkit/runtime` 1.75) answers in a particular way, against a real
server process: thread reads of an unknown thread (and of another principal's, which must not be told
apart from it), the single-route envelope's errors, and the one URL shared by GraphQL, REST and the
envelope. Where a client is involved, the real one (`driver_v2.cjs`) makes the request."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import ServeFactory, llm_config, v2_client
from tests.integration.mock_llm import MockLLM, Reply

HOOKS = 'on_before_request = "tests.integration.sample_hooks:authenticate"\n'
ALICE = {"authorization": "Bearer alice-token"}
BOB = {"authorization": "Bearer bob-token"}
EMPTY = {"messages": {"messages": []}, "events": {"events": []}, "state": {"state": None}}


def resource(path: str, http_method: str = "GET") -> dict[str, Any]:
    return {"method": "resource/request", "params": {"path": path, "httpMethod": http_method}}


def run_body(thread_id: str) -> dict[str, Any]:
    return {"threadId": thread_id, "runId": "r-1", "state": {}, "messages": [], "tools": [], "context": []}


def wire(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Everything a client receives but the clock: status, every header as sent, in order, and the body."""
    headers = [(name, value) for name, value in response.headers.raw if name.lower() != b"date"]
    return response.status_code, headers, response.content


def test_core_reads_an_unknown_thread_as_empty_on_rest_and_through_the_envelope(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    paths = [f"/threads/never-seen/{part}" for part in EMPTY]

    for mode, expected_url in (("auto", f"{server.url}/threads/never-seen/"), ("single", server.url)):
        result = v2_client(server.url, "core-resources", {"mode": mode, "paths": paths})

        assert result["ok"], result
        assert [read["status"] for read in result["reads"]] == [200, 200, 200]
        assert [read["body"] for read in result["reads"]] == list(EMPTY.values())
        assert {read["contentType"] for read in result["reads"]} == {"application/json"}
        # a non-2xx answer makes core probe the runtime as if it were gone; an unknown thread must not
        assert [read["probedRuntime"] for read in result["reads"]] == [False, False, False]
        assert result["runtimeStatus"] == "connected"
        assert all(read["sentAs"]["url"].startswith(expected_url) for read in result["reads"])
    envelopes = [read["sentAs"]["body"] for read in result["reads"]]
    assert envelopes == [resource(path) for path in paths]


def test_connect_and_stop_on_an_unknown_thread_answer_as_the_reference(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))

    connected = v2_client(server.url, "core-connect", {"threadId": "never-seen", "mode": "single"})
    rest_stop = httpx.post(f"{server.url}/agent/default/stop/never-seen", json={"runId": "r-1"})
    envelope_stop = httpx.post(
        server.url,
        json={"method": "agent/stop", "params": {"agentId": "default", "threadId": "never-seen"}, "body": {}},
    )
    rest_connect = httpx.post(f"{server.url}/agent/default/connect", json=run_body("never-seen"))

    assert connected["ok"], connected
    assert (connected["events"], connected["messages"]) == ([], [])
    assert (rest_connect.status_code, rest_connect.content) == (200, b"")
    assert rest_stop.status_code == envelope_stop.status_code == 200
    assert rest_stop.json()["stopped"] is False
    assert envelope_stop.json() == {"stopped": False, "message": "No run is in progress on this thread."}


def test_another_principals_thread_reads_byte_for_byte_as_an_unknown_one(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + HOOKS)
    mock_llm.script(Reply(tokens=["For Alice."]))
    owned = v2_client(server.url, "agui-run", {"threadId": "alices", "userMessage": "hi", "headers": ALICE})
    assert owned["ok"], owned

    for part in EMPTY:
        foreign = httpx.get(f"{server.url}/threads/alices/{part}", headers=BOB)
        unknown = httpx.get(f"{server.url}/threads/no-such-thread/{part}", headers=BOB)
        assert wire(foreign) == wire(unknown)
        assert (foreign.status_code, foreign.json()) == (200, EMPTY[part])
        via_envelope = httpx.post(server.url, headers=BOB, json=resource(f"/threads/alices/{part}"))
        unknown_via_envelope = httpx.post(server.url, headers=BOB, json=resource(f"/threads/no-such-thread/{part}"))
        assert wire(via_envelope) == wire(unknown_via_envelope) == wire(unknown)
    # what Bob is not told: Alice's thread exists and holds a conversation
    mine = httpx.get(f"{server.url}/threads/alices/messages", headers=ALICE).json()["messages"]
    assert [(m["role"], m["content"]) for m in mine] == [("user", "hi"), ("assistant", "For Alice.")]
    events = httpx.get(f"{server.url}/threads/alices/events", headers=ALICE).json()["events"]
    assert [e["type"] for e in events][:: len(events) - 1] == ["RUN_STARTED", "RUN_FINISHED"]
    # a request the hooks refuse is refused the same way for either thread
    anonymous = [httpx.get(f"{server.url}/threads/{thread}/messages") for thread in ("alices", "no-such-thread")]
    assert wire(anonymous[0]) == wire(anonymous[1])
    assert anonymous[0].status_code == 401


def test_envelope_errors_are_the_references_415_and_400_invalid_request(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    url = server.url

    def post(payload: dict[str, Any]) -> httpx.Response:
        return httpx.post(url, json=payload)

    def refused(response: httpx.Response, status: int, code: str) -> str:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {"error", "message", "code"}
        assert (body["error"], body["code"]) == ("invalid_request", code)
        return str(body["message"])

    as_text = httpx.post(url, content=b'{"method": "info"}', headers={"content-type": "text/plain"})
    assert "application/json" in refused(as_text, 415, "UNSUPPORTED_MEDIA_TYPE")
    untyped = httpx.post(url, content=b'{"method": "info"}')
    refused(untyped, 415, "UNSUPPORTED_MEDIA_TYPE")
    with_charset = httpx.post(
        url, content=b'{"method": "info"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    assert with_charset.json()["singleRoute"]["resourceOperations"] is True

    unknown = post({"method": "agent/fly-SECRET", "params": {"agentId": "default"}})
    assert "agent/run" in refused(unknown, 400, "INVALID_REQUEST")
    assert "SECRET" not in unknown.text  # what was sent is not echoed
    for missing in ("", None):
        refused(post({"method": missing}), 400, "INVALID_REQUEST")
    run = {"method": "agent/run", "body": run_body("t")}
    for params in ({}, {"agentId": ""}, {"agentId": "  "}, {"agentId": 7}, "default"):
        assert "params.agentId" in refused(post({**run, "params": params}), 400, "INVALID_REQUEST")
    assert "params.agentId" in refused(post(run), 400, "INVALID_REQUEST")
    for method in ("agent/run", "agent/connect", "agent/suggest"):
        assert "body" in refused(post({"method": method, "params": {"agentId": "default"}}), 400, "INVALID_REQUEST")
        refused(post({"method": method, "params": {"agentId": "default"}, "body": None}), 400, "INVALID_REQUEST")
    # the body is asked for before the agent is looked up, as in the reference; then the agent
    refused(post({"method": "agent/run", "params": {"agentId": "nobody"}}), 400, "INVALID_REQUEST")
    nobody = post({"method": "agent/run", "params": {"agentId": "nobody"}, "body": run_body("t")})
    assert (nobody.status_code, nobody.json()["error"]) == (404, "Agent not found")
    refused(post({"method": "transcribe"}), 400, "INVALID_REQUEST")
    assert post({"method": "transcribe", "body": {"audio": ""}}).status_code == 503
    # stop needs no body (its `runId` is optional); its thread is a parameter
    refused(post({"method": "agent/stop", "params": {"agentId": "default"}}), 400, "INVALID_REQUEST")
    stop = post({"method": "agent/stop", "params": {"agentId": "default", "threadId": "t"}})
    assert stop.json()["stopped"] is False

    assert "params.path" in refused(post({"method": "resource/request", "params": {}}), 400, "INVALID_REQUEST")
    no_verb = post({"method": "resource/request", "params": {"path": "/threads"}})
    assert "params.httpMethod" in refused(no_verb, 400, "INVALID_REQUEST")
    for outside in ("threads", "//elsewhere/threads", "https://elsewhere/threads"):
        refused(post(resource(outside)), 400, "INVALID_REQUEST")
    # a path or verb the thread routes do not have: what the REST route answers
    for path, verb in (("/threads/t/nothing", "GET"), ("/threads/t/messages", "POST"), ("/threads/clear", "GET")):
        via_envelope = post(resource(path, verb))
        direct = httpx.request(verb, f"{url}{path}")
        assert via_envelope.status_code in (404, 405)
        assert wire(via_envelope) == wire(direct)
    assert post(resource("/threads/t/messages", "PATCH")).headers["allow"] == "GET"


def test_one_url_graphql_unless_the_body_is_an_envelope(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    url = server.url

    def is_graphql(response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        assert "data" in body or "errors" in body, body
        return body

    envelope = httpx.post(url, json={"method": "info"})
    assert envelope.json()["singleRoute"]["resourceOperations"] is True  # served, where the reference 404s

    query = httpx.get(url, params={"query": "{ __typename }"})
    assert is_graphql(query)["data"] == {"__typename": "Query"}
    assert httpx.get(url).status_code == 400
    assert is_graphql(httpx.get(url, params={"method": "info"}))["errors"]  # a GET is never an envelope

    not_json = httpx.post(url, content=b'{"method": "info"', headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert is_graphql(not_json)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    no_method = httpx.post(url, json={"params": {"agentId": "default"}, "body": {}})
    assert is_graphql(no_method)["errors"][0]["message"] == "Must provide a query string."
    nested = httpx.post(url, json={"query": "{ __typename }", "variables": {"method": "info"}})
    assert is_graphql(nested)["data"] == {"__typename": "Query"}
    both = httpx.post(url, json={"query": "{ __typename }", "method": "info"})
    assert is_graphql(both)["data"] == {"__typename": "Query"}
    listed = httpx.post(url, json=[{"method": "info"}])
    assert (listed.status_code, is_graphql(listed)["errors"][0]["extensions"]["code"]) == (400, "BAD_REQUEST")

    # text/plain: an envelope is refused as the envelope (the reference's 415), anything else by GraphQL
    text_envelope = httpx.post(url, content=b'{"method": "info"}', headers={"content-type": "text/plain"})
    assert (text_envelope.status_code, text_envelope.json()["error"]) == (415, "invalid_request")
    text_query = httpx.post(url, content=b'{"query": "{ __typename }"}', headers={"content-type": "text/plain"})
    assert text_query.status_code == 415
    assert is_graphql(text_query)["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"

    for verb in ("PUT", "PATCH", "DELETE", "OPTIONS"):
        wrong = httpx.request(verb, url, json={"method": "info"})
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, POST")
        assert wrong.json() == {"error": "Method not allowed"}
    head = httpx.head(url)
    assert (head.status_code, head.headers["allow"]) == (405, "GET, POST")
