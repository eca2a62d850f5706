"""Store benchmark: `loadAgentState`'s reads and a message append, p50 / p99, with many threads stored.

    python -m bench.store --threads 100000 --samples 2000                      # SQLite file in a temp dir
    python -m bench.store --threads 100000 --samples 2000 --postgres postgresql+asyncpg://postgres@127.0.0.1/postgres

With --postgres a database is created for the run and dropped after. Each thread has 4 messages and one
agent state; they are bulk-inserted first (not timed). Then, on random threads: a load is `get_thread` +
`load_state` (what `loadAgentState` reads); an append is `save_messages` of one new message (one
transaction: ownership check, position, upsert)."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, insert

from agui_runtime.adapters.outbound.state.sql import SqlThreadStore, open_sql_store
from agui_runtime.adapters.outbound.state.sql.tables import agent_states, messages, threads
from agui_runtime.adapters.outbound.system import SystemClock
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.messages import Role, TextMessage
from bench.databases import percentile, scratch_postgres

BATCH = 5_000


@asynccontextmanager
async def database(postgres: str | None) -> AsyncIterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    async with scratch_postgres(postgres) as url:
        yield url


async def fill(store: SqlThreadStore, count: int) -> None:
    """Bulk load straight into the tables (the timed part goes through the store's methods)."""
    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        ids = [f"thread-{n}" for n in range(start, min(start + BATCH, count))]

        def load(connection: Connection, ids: list[str] = ids) -> None:
            connection.execute(insert(threads), [{"id": t, "principal": None, "created_at": now} for t in ids])
            rows = [
                {
                    "thread_id": t,
                    "message_id": f"m{i}",
                    "position": i,
                    "kind": "text",
                    "created_at": now,
                    "body": {"status": "success", "role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"},
                }
                for t in ids
                for i in range(4)
            ]
            connection.execute(insert(messages), rows)
            states = [
                {"thread_id": t, "agent_name": "agent", "version": 1, "state": {"n": 1}, "updated_at": now} for t in ids
            ]
            connection.execute(insert(agent_states), states)

        await store.transaction(load)


def percentiles(samples: list[float]) -> tuple[float, float]:
    return percentile(samples, 0.5), percentile(samples, 0.99)


async def run(threads_count: int, samples: int, postgres: str | None) -> None:
    async with database(postgres) as url, open_sql_store(url, SystemClock()) as store:
        assert isinstance(store, SqlThreadStore)
        started = time.perf_counter()
        await fill(store, threads_count)
        filled = time.perf_counter() - started
        rng = random.Random(7)
        loads, appends = [], []
        for n in range(samples):
            thread = f"thread-{rng.randrange(threads_count)}"
            t0 = time.perf_counter()
            await store.get_thread(thread)
            await store.load_state(AgentStateKey(thread, "agent"))
            loads.append((time.perf_counter() - t0) * 1000)
            message = TextMessage(id=f"bench-{n}", created_at=datetime.now(UTC), role=Role.USER, content="hello")
            t0 = time.perf_counter()
            await store.save_messages(thread, [message])
            appends.append((time.perf_counter() - t0) * 1000)
    kind = "PostgreSQL" if postgres else "SQLite"
    load_p50, load_p99 = percentiles(loads)
    append_p50, append_p99 = percentiles(appends)
    print(f"store: {kind}, {threads_count:,} threads (4 messages and a state each, loaded in {filled:.1f} s)")
    print(f"  loadAgentState reads, ms   p50 {load_p50:7.2f}   p99 {load_p99:7.2f}   ({samples} samples)")
    print(f"  message append, ms         p50 {append_p50:7.2f}   p99 {append_p99:7.2f}   ({samples} samples)")
    print("rerun: .venv/bin/python -m bench.store " + " ".join(sys.argv[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (postgresql+asyncpg://...) to bench on")
    args = parser.parse_args()
    asyncio.run(run(args.threads, args.samples, args.postgres))


if __name__ == "__main__":
    main()
