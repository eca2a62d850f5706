"""Benchmark: N tokens from a fast mock LLM through the runtime to a client reading the multipart wire.

Starts, on loopback, the mock OpenAI-compatible LLM (in this process) and `agui-runtime serve` (its own
process), sends the real client's `generateCopilotResponse` document with its Accept header, parses
the multipart payloads as they arrive and checks the merged text. Prints tokens/s, time to first token
and server CPU per token (from /proc, server process only), and the command to rerun it.

    python -m bench.chat_stream --tokens 2000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.integration.chat import chat_data, request_body, text
from tests.integration.mock_llm import MockLLM, Reply

ACCEPT = (
    "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def start_server(mock: MockLLM, config_dir: Path) -> tuple[subprocess.Popen[str], str]:
    config = config_dir / "bench.toml"
    config.write_text(
        f'llm_provider = "openai"\nllm_model = "bench"\nllm_base_url = "{mock.url}"\nllm_api_key = "bench"\n'
        # the embedded default store, as `make serve` runs it
        f'state_store_url = "sqlite+aiosqlite:///{config_dir / "bench.db"}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGUI_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bootstrap", "serve", "--config", str(config), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"Uvicorn running on (http://\S+)", line)
        if match:
            # Keep reading the server's log so a full pipe never stalls it.
            threading.Thread(target=lambda: [None for _ in process.stderr or ()], daemon=True).start()
            return process, f"{match.group(1)}/api/copilotkit"
    raise SystemExit("the runtime did not start")


def one_run(client: httpx.Client, url: str, mock: MockLLM, tokens: int, pid: int) -> dict[str, float]:
    words = [f"tok{i} " for i in range(tokens)]
    mock.script(Reply(tokens=words))
    body = request_body(chat_data(f"bench-{time.time_ns()}", [text("u1", "go")]))
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    first: float | None = None
    received: list[str] = []
    buffer = b""
    with client.stream("POST", url, json=body, headers={"accept": ACCEPT}) as response:
        assert response.headers["content-type"].startswith("multipart/mixed"), response.headers
        for chunk in response.iter_bytes():
            buffer += chunk
            while (match := re.search(rb"Content-Length: (\d+)\r\n\r\n", buffer)) is not None:
                end = match.end() + int(match.group(1))
                if len(buffer) < end:
                    break
                payload = json.loads(buffer[match.end() : end])
                buffer = buffer[end:]
                for entry in payload.get("incremental", ()):
                    if entry.get("path", [None])[-2:-1] == ["content"] and "items" in entry:
                        if first is None:
                            first = time.perf_counter()
                        received.extend(entry["items"])
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    if "".join(received) != "".join(words):
        raise SystemExit(f"wrong reply: got {len(received)} of {tokens} tokens")
    assert first is not None
    return {
        "tokens_per_s": tokens / elapsed,
        "ttft_ms": (first - started) * 1000,
        "cpu_us_per_token": cpu / tokens * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    mock = MockLLM()
    mock.start()
    with tempfile.TemporaryDirectory() as scratch:
        process, url = start_server(mock, Path(scratch))
        try:
            with httpx.Client(timeout=120) as client:
                one_run(client, url, mock, 50, process.pid)  # warm-up: caches, connections
                results = [one_run(client, url, mock, args.tokens, process.pid) for _ in range(args.runs)]
        finally:
            process.terminate()
            process.wait(timeout=15)
            mock.stop()
    print(f"chat stream: {args.tokens} tokens from an instant mock LLM, {args.runs} runs (median, min-max)")
    for key, label in (
        ("tokens_per_s", "tokens/s"),
        ("ttft_ms", "time to first token, ms"),
        ("cpu_us_per_token", "server CPU per token, µs"),
    ):
        values = [r[key] for r in results]
        print(f"  {label:28} {statistics.median(values):10.1f}   ({min(values):.1f}-{max(values):.1f})")
    print(f"rerun: .venv/bin/python -m bench.chat_stream --tokens {args.tokens} --runs {args.runs}")


if __name__ == "__main__":
    main()
