"""`agui-runtime serve --workers N`: N processes accept on one socket and share the SQL store."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.chat import text
from tests.integration.conftest import ServeFactory
from tests.integration.test_agents import agent_data, generate
from tests.integration.test_chat_streaming import response_of
from tests.integration.test_sql_persistence import AGENT, load


def worker_pids(log: list[str]) -> list[int]:
    return [int(found) for line in list(log) for found in re.findall(r"Started server process \[(\d+)\]", line)]


def wait_for(condition: object, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_workers_share_one_port_and_the_store_and_stop_together(serve: ServeFactory, tmp_path: Path) -> None:
    config = f'state_store_url = "sqlite:///{tmp_path / "runtime.db"}"\nworkers = 2\n' + AGENT
    server = serve(config)
    wait_for(lambda: len(worker_pids(server.log)) == 2, "two workers")
    pids = worker_pids(server.log)

    # Turns on one thread, each on a new connection: whichever worker takes one, it sees the others' writes.
    for turn in range(1, 5):
        response_of(generate(server.url, agent_data("counter", "t-workers", [text(f"u{turn}", "hello")])))
        assert json.loads(str(load(server.url, "t-workers")["state"]))["count"] == turn

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_a_worker_that_dies_is_replaced(serve: ServeFactory, tmp_path: Path) -> None:
    config = f'state_store_url = "sqlite:///{tmp_path / "runtime.db"}"\nworkers = 2\n' + AGENT
    server = serve(config)
    wait_for(lambda: len(worker_pids(server.log)) == 2, "two workers")
    time.sleep(5)  # past the start-up window, in which a dying worker stops the server instead
    os.kill(worker_pids(server.log)[0], signal.SIGKILL)

    wait_for(lambda: len(worker_pids(server.log)) == 3, "a replacement worker")
    assert any("exited (exit code -9); starting another" in line for line in server.log)
    for turn in range(1, 4):
        response_of(generate(server.url, agent_data("counter", "t-replaced", [text(f"u{turn}", "hello")])))
    assert json.loads(str(load(server.url, "t-replaced")["state"]))["count"] == 3


def test_workers_need_a_shared_store(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('state_store_url = "memory://"\n', encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AGUI_")}
    command = [sys.executable, "-m", "agui_runtime", "serve", "--config", str(config), "--workers", "2"]
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=30)
    assert finished.returncode == 2
    assert "workers > 1 needs a shared store (SQLite or PostgreSQL)" in finished.stderr


def test_workers_that_cannot_start_stop_the_server_with_a_failure(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    store = f'state_store_url = "sqlite:///{tmp_path / "runtime.db"}"\n'
    config.write_text(store + 'on_before_request = "tests.integration.no_such_module:hook"\n', encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AGUI_")}
    command = [sys.executable, "-m", "agui_runtime", "serve", "--config", str(config), "--workers", "2", "--port", "0"]
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
    assert finished.returncode == 1  # not 0: a process supervisor must see that the server failed
    assert "a worker exited while starting" in finished.stderr
