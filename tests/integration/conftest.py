"""Fixtures for tests that run the real app: in process over ASGI, or as a real server process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from agui_runtime.adapters.settings import Settings
from agui_runtime.bootstrap import create_app
from tests.integration.agent_server import AgentServer
from tests.integration.mock_llm import MockLLM
from tests.integration.remote_endpoint import RemoteEndpointServer

CLIENT_DIR = Path(__file__).parent / "client"
CLIENT_ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
)


def make_settings(**values: object) -> Settings:
    """Settings from code only: the developer's environment and config file never leak into a test."""
    return Settings.model_validate({"state_store_url": "memory://", **values})


ClientFactory = Callable[[Settings], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFactory]:
    """A factory: `await client_for(settings)` gives an httpx client on a started app."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def build(settings: Settings) -> httpx.AsyncClient:
        manager = LifespanManager(create_app(settings))
        await manager.__aenter__()
        managers.append(manager)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://runtime")
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()
    for manager in reversed(managers):
        await manager.__aexit__(None, None, None)


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


ServeFactory = Callable[[str], ServerProcess]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFactory]:
    """A factory: `serve(toml_text)` starts `agui-runtime serve` on a free loopback port and returns its URL."""
    started: list[subprocess.Popen[str]] = []
    drains: list[threading.Thread] = []

    def start(config: str = "") -> ServerProcess:
        config_file = tmp_path / f"config-{len(started)}.toml"
        if "state_store_url" not in config:  # tests keep to memory unless they name a store
            config = 'state_store_url = "memory://"\n' + config
        config_file.write_text(config, encoding="utf-8")
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AGUI_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "agui_runtime", "serve", "--config", str(config_file), "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        started.append(process)
        assert process.stderr is not None
        seen: list[str] = []
        for line in process.stderr:
            seen.append(line)
            match = re.search(r"Uvicorn running on (http://\S+)", line)
            if match:
                server = ServerProcess(f"{match.group(1)}/api/copilotkit", process, seen)
                # Keep reading the log so a full pipe never blocks the server; tests may inspect it.
                drain = threading.Thread(target=lambda: seen.extend(process.stderr or ()), daemon=True)
                drain.start()
                drains.append(drain)
                return server
        raise AssertionError("the server did not start:\n" + "".join(seen))

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for drain in drains:
        drain.join(timeout=10)
    for process in started:
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def agent_server() -> Iterator[AgentServer]:
    server = AgentServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def remote_endpoint() -> Iterator[RemoteEndpointServer]:
    server = RemoteEndpointServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mock_llm() -> Iterator[MockLLM]:
    mock = MockLLM()
    mock.start()
    yield mock
    mock.stop()


def llm_config(mock: MockLLM, provider: str = "openai") -> str:
    """Settings that point the runtime at the mock LLM."""
    return (
        f'llm_provider = "{provider}"\nllm_model = "mock-model"\n'
        f'llm_base_url = "{mock.url if provider == "openai" else mock.url.removesuffix("/v1")}"\n'
        'llm_api_key = "sk-test-secret-key"\n'
    )


def start_node_client(url: str, command: str, args: str = "{}") -> subprocess.Popen[str]:
    """Start the real CopilotKit client (driver.cjs) in the background; read its JSON from stdout."""
    node = shutil.which("node")
    if node is None or not (CLIENT_DIR / "node_modules" / "@copilotkit" / "runtime-client-gql").is_dir():
        pytest.fail("the real client is not installed: run `make check` (it runs `npm ci` in tests/integration/client)")
    command_line = [node, str(CLIENT_DIR / "driver.cjs"), url, command, args]
    return subprocess.Popen(command_line, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def node_client(url: str, command: str, args: str = "{}") -> dict[str, object]:
    """Run the real CopilotKit client (driver.cjs) once and return what it printed."""
    node = shutil.which("node")
    if node is None or not (CLIENT_DIR / "node_modules" / "@copilotkit" / "runtime-client-gql").is_dir():
        pytest.fail("the real client is not installed: run `make check` (it runs `npm ci` in tests/integration/client)")
    done = subprocess.run(
        [node, str(CLIENT_DIR / "driver.cjs"), url, command, args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def v2_client(url: str, scenario: str, args: dict[str, object] | None = None, timeout: float = 60) -> dict[str, Any]:
    """Run the real v2 clients (driver_v2.cjs: @ag-ui/client 0.0.59, @copilotkit/core 1.75.0) once; return what
    they printed: events, messages, state, errors, every request sent and each SSE frame checked against
    @ag-ui/core's schemas (`schemaErrors`)."""
    process = start_v2_client(url, scenario, args or {})
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    result: dict[str, Any] = json.loads(stdout)
    return result


def start_v2_client(url: str, scenario: str, args: dict[str, object]) -> subprocess.Popen[str]:
    """Start the v2 clients (driver_v2.cjs) in the background; read their JSON from stdout."""
    node = shutil.which("node")
    if node is None or not (CLIENT_DIR / "node_modules" / "@copilotkit" / "core").is_dir():
        pytest.fail("the v2 clients are not installed: run `make check` (it runs `npm ci` in tests/integration/client)")
    command = [node, str(CLIENT_DIR / "driver_v2.cjs"), scenario, url, json.dumps(args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
