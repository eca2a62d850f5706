"""The SQL store behind real server processes: history and agent state survive a restart (SQLite), and
two runtime processes on one PostgreSQL database see each other's writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.chat import text
from tests.integration.conftest import ServeFactory, node_client
from tests.integration.databases import postgres_database
from tests.integration.sample_agents import COUNTER
from tests.integration.test_agents import agent_data, generate
from tests.integration.test_chat_streaming import response_of

AGENT = f'[[agents]]\nname = "counter"\nkind = "python"\nimport = "{COUNTER}"\n'


def load(url: str, thread: str) -> dict[str, object]:
    loaded = node_client(url, "loadAgentState", json.dumps({"threadId": thread, "agentName": "counter"}))
    view: dict[str, object] = loaded["data"]["loadAgentState"]  # type: ignore[index]
    return view


def test_history_and_agent_state_survive_a_restart_on_sqlite(serve: ServeFactory, tmp_path: Path) -> None:
    config = f'state_store_url = "sqlite+aiosqlite:///{tmp_path / "runtime.db"}"\n' + AGENT
    first = serve(config)
    response_of(generate(first.url, agent_data("counter", "t-keep", [text("u1", "hello")])))
    first.process.terminate()
    first.process.wait(timeout=15)

    second = serve(config)
    view = load(second.url, "t-keep")

    assert view["threadExists"] is True
    assert json.loads(str(view["state"]))["count"] == 1
    contents = [m.get("content") for m in json.loads(str(view["messages"]))]
    assert contents == ["You are a helpful assistant.", "hello", "Count is 1."]


async def test_two_processes_on_one_postgresql_database_share_threads(serve: ServeFactory) -> None:
    async with postgres_database() as url:
        config = f'state_store_url = "{url}"\n' + AGENT
        writer, reader = serve(config), serve(config)  # both migrate on start: the advisory lock orders them

        response_of(generate(writer.url, agent_data("counter", "t-shared", [text("u1", "hi")])))
        view = load(reader.url, "t-shared")

        assert view["threadExists"] is True
        assert json.loads(str(view["state"]))["count"] == 1
        assert [m.get("content") for m in json.loads(str(view["messages"]))][-1] == "Count is 1."
        writer.process.terminate()
        reader.process.terminate()
        writer.process.wait(timeout=15)
        reader.process.wait(timeout=15)


def test_db_upgrade_migrates_ahead_of_a_server_that_does_not(serve: ServeFactory, tmp_path: Path) -> None:
    config = tmp_path / "runtime.toml"
    store = f'state_store_url = "sqlite+aiosqlite:///{tmp_path / "runtime.db"}"\n'
    config.write_text(store, encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "bootstrap", "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "the schema of the sqlite store is up to date" in done.stdout
    server = serve(store + "migrate_on_start = false\n" + AGENT)
    response_of(generate(server.url, agent_data("counter", "t-up", [text("u1", "hi")])))
    assert load(server.url, "t-up")["threadExists"] is True


def test_db_upgrade_against_an_unreachable_database_says_so_without_secrets(tmp_path: Path) -> None:
    config = tmp_path / "runtime.toml"
    config.write_text('state_store_url = "postgresql+asyncpg://agui:s3cret@127.0.0.1:9/agui"\n', encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "bootstrap", "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "The state store is unavailable" in done.stderr
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr
