"""SIGTERM: the server stops accepting, lets runs finish for the grace period, then fails the rest cleanly."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, start_node_client
from tests.integration.mock_llm import MockLLM, Reply


def wait_for_first_chunk(mock: MockLLM) -> None:
    deadline = time.monotonic() + 10
    while not mock.last_chunk_at:
        assert time.monotonic() < deadline, "the model was never called"
        time.sleep(0.02)


def finish(client: Any) -> dict[str, Any]:
    stdout, stderr = client.communicate(timeout=30)
    assert client.returncode == 0, stderr
    outcome: dict[str, Any] = json.loads(stdout)
    return outcome


def test_a_run_still_streaming_after_the_grace_period_fails_cleanly(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + "shutdown_grace_seconds = 1\n")
    mock_llm.script(Reply(tokens=[f"w{i} " for i in range(400)], delay=0.05))
    client = start_node_client(server.url, "generate", json.dumps({"data": chat_data("t1", [text("u1", "go")])}))
    wait_for_first_chunk(mock_llm)

    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    outcome = finish(client)
    server.process.wait(timeout=15)

    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert time.monotonic() - signalled < 8
    response = outcome["data"]["generateCopilotResponse"]
    assert response["status"]["code"] == "Failed"
    assert response["status"]["details"]["originalError"]["code"] == "SERVER_SHUTTING_DOWN"
    [message] = response["messages"]
    assert message["status"]["code"] == "Failed"
    assert "".join(message["content"]).startswith("w0 w1 ")
    assert mock_llm.disconnects, "the upstream request outlived the server"
    assert not any("Traceback" in line for line in server.log)


def test_a_run_that_ends_within_the_grace_period_completes(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + "shutdown_grace_seconds = 10\n")
    mock_llm.script(Reply(tokens=[f"t{i} " for i in range(15)], delay=0.1))
    client = start_node_client(server.url, "generate", json.dumps({"data": chat_data("t2", [text("u1", "go")])}))
    wait_for_first_chunk(mock_llm)

    server.process.send_signal(signal.SIGTERM)
    outcome = finish(client)
    server.process.wait(timeout=15)

    response = outcome["data"]["generateCopilotResponse"]
    assert response["status"]["code"] == "Success"
    assert "".join(response["messages"][0]["content"]) == "".join(f"t{i} " for i in range(15))
    assert server.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
