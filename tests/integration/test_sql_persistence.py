"""The SQL store behind real server processes: history and agent state survive a restart (SQLite), and
two runtime processes on one PostgreSQL database see each other's writes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, start_node_client
from tests.integration.databases import cut_off, postgres_database
from tests.integration.mock_llm import MockLLM, Reply
from tests.integration.sample_agents import COUNTER
from tests.integration.test_agents import agent_data, generate
from tests.integration.test_agents import generate as node_generate
from tests.integration.test_chat_streaming import response_of

AGENT = f'[[agents]]\nname = "counter"\nkind = "python"\nimport = "{COUNTER}"\n'


def load(url: str, thread: str) -> dict[str, object]:
    loaded = node_client(url, "loadAgentState", json.dumps({"threadId": thread, "agentName": "counter"}))
    view: dict[str, object] = loaded["data"]["loadAgentState"]  # type: ignore[index]
    return view


def test_history_and_agent_state_survive_a_restart_on_sqlite(serve: ServeFactory, tmp_path: Path) -> None:
    # the URL form of the earlier default still names the SQLite store
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
    store = f'state_store_url = "sqlite:///{tmp_path / "runtime.db"}"\n'
    config.write_text(store, encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "agui_runtime", "db", "upgrade", "--config", str(config)],
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
        [sys.executable, "-m", "agui_runtime", "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "The state store is unavailable" in done.stderr
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_killed_server_loses_at_most_the_unsaved_tail_of_its_run(
    serve: ServeFactory, mock_llm: MockLLM, tmp_path: Path
) -> None:
    config = f'state_store_url = "sqlite:///{tmp_path / "runtime.db"}"\n' + llm_config(mock_llm) + AGENT
    first = serve(config)
    mock_llm.script(Reply(tokens=["Saved", " answer."]), Reply(tokens=[f"t{i} " for i in range(400)], delay=0.02))
    earlier = [text("u1", "First question")]
    answer = response_of(node_generate(first.url, chat_data("t-kill", earlier)))["messages"][0]
    # the client sends the answer back with the id the server streamed
    history = [*earlier, text(answer["id"], "Saved answer.", "assistant"), text("u2", "Second question")]
    streaming = start_node_client(first.url, "generate", json.dumps({"data": chat_data("t-kill", history)}))
    deadline = time.monotonic() + 10
    while mock_llm.last_chunk_at == 0.0 or len(mock_llm.requests) < 2:
        assert time.monotonic() < deadline, "the second answer never started"
        time.sleep(0.02)
    time.sleep(0.3)  # some tokens of the second answer are out

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    streaming.kill()
    streaming.communicate(timeout=10)

    second = serve(config)
    contents = [m.get("content") for m in json.loads(str(load(second.url, "t-kill")["messages"]))]
    assert contents[:4] == ["You are a helpful assistant.", "First question", "Saved answer.", "Second question"]
    assert len(contents) <= 5  # at most the cut-off answer follows, never anything lost before it


async def test_a_database_outage_is_a_clear_error_and_the_server_recovers(serve: ServeFactory) -> None:
    async with postgres_database() as url:
        server = serve(f'state_store_url = "{url}"\n' + AGENT)
        response_of(generate(server.url, agent_data("counter", "t-out", [text("u1", "hi")])))

        await cut_off(url, allowed=False)
        during = node_client(server.url, "loadAgentState", json.dumps({"threadId": "t-out", "agentName": "counter"}))
        async with httpx.AsyncClient() as client:
            ready = await client.get(server.url + "/ready")
        await cut_off(url, allowed=True)
        after = load(server.url, "t-out")

        [error] = during["error"]["graphQLErrors"]  # type: ignore[index]
        assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert error["message"].startswith("The state store is unavailable")
        assert "postgres@" not in json.dumps(during)
        assert ready.status_code == 503
        assert server.process.poll() is None  # still serving
        assert after["threadExists"] is True
        server.process.terminate()
        server.process.wait(timeout=15)


def test_the_recorded_head_is_alembics_and_an_up_to_date_schema_is_not_migrated_again(tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from agui_runtime.adapters.outbound.state.sql.upgrade import HEAD_REVISION, MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION

    # The first opening migrates (Alembic loads); the next finds the schema at head without loading it.
    program = (
        "import asyncio, sys\n"
        "from agui_runtime.adapters.outbound.state.sql import open_sql_store\n"
        "from agui_runtime.adapters.outbound.system import SystemClock\n"
        "async def main():\n"
        f"    async with open_sql_store('sqlite:///{tmp_path / 'head.db'}', SystemClock()) as store:\n"
        "        await store.ping()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )
    loaded = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True) for _ in "12"]
    assert [run.stdout.strip() for run in loaded] == ["True", "False"]
