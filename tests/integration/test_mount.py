"""Embedding: the runtime inside a host FastAPI app that has its own lifespan and routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from agui_runtime.bootstrap import mount
from tests.integration.conftest import make_settings
from tests.integration.sample_agents import python_agent


async def test_mounted_runtime_opens_with_the_host_lifespan_and_answers_beside_host_routes() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def host_lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("host started")
        yield
        events.append("host stopped")

    host = FastAPI(lifespan=host_lifespan)

    @host.get("/api/items")
    async def items() -> list[str]:
        return ["a", "b"]

    mount(
        host,
        "/copilot",
        make_settings(agents=[python_agent("helper")]),
    )
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
        before = await client.get("/copilot/ready")
        assert before.status_code == 503  # resources open only with the lifespan

        async with LifespanManager(host):
            assert events == ["host started"]
            ready = await client.get("/copilot/ready")
            agents = await client.post(
                "/copilot",
                json={"query": "{ availableAgents { agents { id name } } }"},
                headers={"x-copilotkit-runtime-client-gql-version": "1.10.6"},
            )
            info = await client.get("/copilot/info")  # the v2 routes come with the mount
            envelope = await client.post("/copilot", json={"method": "info"})
            host_route = await client.get("/api/items")
            default_path = await client.post("/api/copilotkit", json={"query": "{ hello }"})

        assert events == ["host started", "host stopped"]
        after = await client.get("/copilot/ready")

    assert ready.json() == {"status": "ready"}
    assert agents.json() == {"data": {"availableAgents": {"agents": [{"id": "helper", "name": "helper"}]}}}
    assert agents.headers["x-copilotkit-runtime-version"] == "1.10.6"
    assert list(info.json()["agents"]) == ["helper"]
    assert envelope.json()["singleRoute"]["resourceOperations"] is True
    assert host_route.json() == ["a", "b"]
    assert default_path.status_code == 404
    assert after.status_code == 503
