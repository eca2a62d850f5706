"""The real @copilotkit/runtime-client-gql 1.10.6 against a real server process (`agui-runtime serve`)."""

from tests.integration.conftest import ServeFactory, node_client

CONFIG = """
[[agents]]
name = "research_agent"
description = "Researches a topic"
kind = "agui-http"
url = "http://127.0.0.1:9/agent"

[[agents]]
name = "writer"
kind = "python"
import = "tests.integration.sample_agents:counter"
"""


def test_available_agents_through_the_real_client(serve: ServeFactory) -> None:
    server = serve(CONFIG)

    first = node_client(server.url, "availableAgents")
    second = node_client(server.url, "availableAgents")

    assert first["error"] is None
    assert first["data"] == {
        "availableAgents": {
            "agents": [
                {
                    "name": "research_agent",
                    "id": "research_agent",
                    "description": "Researches a topic",
                    "__typename": "Agent",
                },
                {"name": "writer", "id": "writer", "description": "", "__typename": "Agent"},
            ],
            "__typename": "AgentsResponse",
        }
    }
    assert second["data"] == first["data"]
    assert first["warnings"] == []  # the version header matches the client's own: no mismatch warning


def test_load_agent_state_through_the_real_client(serve: ServeFactory) -> None:
    server = serve(CONFIG)

    result = node_client(server.url, "loadAgentState", '{"threadId": "thread-never-seen-0001", "agentName": "writer"}')

    assert result["error"] is None
    assert result["data"] == {
        "loadAgentState": {
            "threadId": "thread-never-seen-0001",
            "threadExists": False,
            "state": "{}",
            "messages": "[]",
            "__typename": "LoadAgentStateResponse",
        }
    }


def test_an_unknown_agent_reaches_the_real_client_as_a_coded_error(serve: ServeFactory) -> None:
    server = serve(CONFIG)

    result = node_client(server.url, "loadAgentState", '{"threadId": "t1", "agentName": "ghost"}')

    error = result["error"]
    assert isinstance(error, dict)
    [graphql_error] = error["graphQLErrors"]
    assert graphql_error["extensions"]["code"] == "AGENT_NOT_FOUND"
    assert "research_agent, writer" in graphql_error["message"]
    assert result["data"] is None
    assert not any("Traceback" in line for line in server.log)
