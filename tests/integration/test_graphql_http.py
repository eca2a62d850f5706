"""The GraphQL endpoint's HTTP behaviour, through the real ASGI app (runtime-v1-spec §1)."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import CLIENT_ACCEPT, ClientFactory, make_settings

PATH = "/api/copilotkit"
AGENTS = [
    {"name": "planner", "description": "Plans the work", "kind": "agui-http", "url": "http://127.0.0.1:9/run"},
    {"name": "coder", "kind": "python", "import": "tests.integration.sample_agents:counter"},
]
LOAD_STATE = (
    "query loadAgentState($data: LoadAgentStateInput!) "
    "{ loadAgentState(data: $data) { threadId threadExists state messages __typename } }"
)
GRAPHQL_JSON = "application/graphql-response+json; charset=utf-8"


@pytest.fixture
async def client(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for(make_settings(agents=AGENTS, max_body_bytes=4096))


async def post(client: httpx.AsyncClient, body: object, accept: str = CLIENT_ACCEPT, **headers: str) -> httpx.Response:
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return await client.post(
        PATH, content=content, headers={"content-type": "application/json", "accept": accept, **headers}
    )


async def test_hello_over_post_and_get(client: httpx.AsyncClient) -> None:
    posted = await post(client, {"query": "{ hello }"})
    fetched = await client.get(PATH, params={"query": "{hello}"})
    assert posted.json() == fetched.json() == {"data": {"hello": "Hello World"}}
    assert posted.headers["content-type"] == GRAPHQL_JSON
    assert fetched.headers["content-type"] == "application/json; charset=utf-8"


async def test_available_agents_lists_every_configured_agent_with_stable_ids(client: httpx.AsyncClient) -> None:
    query = {
        "operationName": "availableAgents",
        "query": "query availableAgents { availableAgents { agents { name id description __typename } __typename } }",
    }
    first, second = (await post(client, query)).json(), (await post(client, query)).json()
    assert (
        first
        == second
        == {
            "data": {
                "availableAgents": {
                    "agents": [
                        {"name": "planner", "id": "planner", "description": "Plans the work", "__typename": "Agent"},
                        {"name": "coder", "id": "coder", "description": "", "__typename": "Agent"},
                    ],
                    "__typename": "AgentsResponse",
                }
            }
        }
    )


async def test_load_agent_state_of_an_unknown_thread(client: httpx.AsyncClient) -> None:
    variables = {"data": {"agentName": "planner", "threadId": "thread-never-seen-0001"}}
    response = await post(client, {"operationName": "loadAgentState", "query": LOAD_STATE, "variables": variables})
    assert response.status_code == 200
    assert response.content == (
        b'{"data":{"loadAgentState":{"threadId":"thread-never-seen-0001","threadExists":false,'
        b'"state":"{}","messages":"[]","__typename":"LoadAgentStateResponse"}}}'
    )


async def test_load_agent_state_of_an_unknown_agent_is_a_graphql_error_naming_the_agents(
    client: httpx.AsyncClient,
) -> None:
    variables = {"data": {"agentName": "ghost", "threadId": "t1"}}
    response = await post(client, {"query": LOAD_STATE, "variables": variables})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["loadAgentState"]
    assert error["extensions"]["code"] == "AGENT_NOT_FOUND"
    assert error["message"] == "Agent 'ghost' was not found. Available agents: coder, planner."
    assert "stack" not in json.dumps(error)


async def test_version_header_echoes_the_client_and_is_absent_otherwise(client: httpx.AsyncClient) -> None:
    echoed = await post(client, {"query": "{ hello }"}, **{"x-copilotkit-runtime-client-gql-version": "1.10.3"})
    plain = await post(client, {"query": "{ hello }"})
    assert echoed.headers["x-copilotkit-runtime-version"] == "1.10.3"
    assert "x-copilotkit-runtime-version" not in plain.headers


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ("{not json", 400, "not valid JSON"),
        ('[{"query": "{ hello }"}]', 400, "batching is not supported"),
        ({"query": "{ hello "}, 400, "Syntax Error"),
        ({"variables": {}}, 400, "Must provide a query string"),
        ({"query": LOAD_STATE, "variables": {"data": {"agentName": 3}}}, 400, "Variable '$data' got an invalid value"),
        ({"query": "{ hello }", "variables": "x"}, 400, "`variables` must be a JSON object"),
    ],
)
async def test_malformed_requests_get_400_with_errors(
    client: httpx.AsyncClient, body: object, status: int, fragment: str
) -> None:
    response = await post(client, body)
    assert response.status_code == status
    assert fragment in " ".join(error["message"] for error in response.json()["errors"])


async def test_validation_errors_are_400_for_graphql_response_json_and_200_for_plain_json(
    client: httpx.AsyncClient,
) -> None:
    document = {"query": "{ hello nope }"}
    strict = await post(client, document)
    legacy = await post(client, document, accept="application/json")
    assert strict.status_code == 400
    assert legacy.status_code == 200
    assert strict.json() == legacy.json()
    assert "Cannot query field 'nope' on type 'Query'." in strict.json()["errors"][0]["message"]


async def test_a_mutation_over_get_is_405(client: httpx.AsyncClient) -> None:
    for query in (
        "mutation m($d: GenerateCopilotResponseInput!) { generateCopilotResponse(data: $d) { threadId } }",
        "mutation { generateCopilotResponse(data: {}) { threadId } }",  # invalid too: the method is checked first
    ):
        response = await client.get(PATH, params={"query": query, "variables": "{}"})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["message"] == "Can only perform a mutation operation from a POST request."


async def test_a_body_over_the_limit_is_413_whether_announced_or_streamed(client: httpx.AsyncClient) -> None:
    big = json.dumps({"query": "{ hello }", "variables": {"pad": "x" * 5000}})
    announced = await post(client, big)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000].encode()

    streamed = await client.post(PATH, content=chunks(), headers={"content-type": "application/json"})
    for response in (announced, streamed):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_non_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(PATH, content="query { hello }", headers={"content-type": "application/graphql"})
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_an_accept_header_without_json_is_406(client: httpx.AsyncClient) -> None:
    assert (await post(client, {"query": "{ hello }"}, accept="text/html")).status_code == 406
    assert (await post(client, {"query": "{ hello }"}, accept="*/*")).status_code == 200


async def test_cors_preflight_is_204_and_reflects_what_was_asked(client: httpx.AsyncClient) -> None:
    response = await client.options(
        PATH,
        headers={
            "origin": "http://localhost:3000",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-copilotkit-runtime-client-gql-version",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type,x-copilotkit-runtime-client-gql-version"
    assert "access-control-allow-credentials" not in response.headers


async def test_configured_origins_with_credentials(client_for: ClientFactory) -> None:
    client = await client_for(make_settings(cors_origins=["https://app.example.com"], cors_allow_credentials=True))
    allowed = await post(client, {"query": "{ hello }"}, origin="https://app.example.com")
    other = await post(client, {"query": "{ hello }"}, origin="https://evil.example.com")
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in other.headers


async def test_introspection_lists_defer_and_stream_and_can_be_turned_off(client_for: ClientFactory) -> None:
    query = {"query": "{ __schema { directives { name locations } } }"}
    on = await post(await client_for(make_settings()), query)
    names = {d["name"]: d["locations"] for d in on.json()["data"]["__schema"]["directives"]}
    assert names["defer"] == ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"]
    assert names["stream"] == ["FIELD"]
    off = await post(await client_for(make_settings(introspection=False)), query)
    assert off.status_code == 400
    assert "introspection" in off.json()["errors"][0]["message"].lower()


async def test_health_ready_and_unknown_paths(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{PATH}/health")).json() == {"status": "ok"}
    assert (await client.get(f"{PATH}/ready")).json() == {"status": "ready"}
    assert (await client.get("/elsewhere")).status_code == 404
    assert (await client.put(PATH)).status_code == 405


async def test_payload_framing_encodes_what_json_encodes() -> None:
    from agui_runtime.adapters.inbound.graphql.incremental import multipart, server_sent_events

    async def payloads() -> AsyncIterator[dict[str, Any]]:
        yield {"data": {"text": "naïve ✓", "big": 2**70, "nested": {1: "int key"}}, "hasNext": True}
        yield {"hasNext": False}

    body = b"".join([chunk async for chunk in multipart(payloads())])
    parts = [part.split(b"\r\n\r\n", 1)[1] for part in body.split(b"\r\n---")[1:-1]]
    assert [json.loads(part) for part in parts] == [
        {"data": {"text": "naïve ✓", "big": 2**70, "nested": {"1": "int key"}}, "hasNext": True},
        {"hasNext": False},
    ]
    assert "naïve ✓".encode() in parts[0]  # UTF-8, not \\u escapes
    events = b"".join([chunk async for chunk in server_sent_events(payloads())]).decode()
    assert events.count("event: next\ndata: {") == 2
