"""The processes a benchmark run starts on loopback, and what /proc says about them.

Each server is a process tree: the mock LLM (Python), this runtime (`agui-runtime serve`, one worker or a
supervisor with N workers) and the reference (`node bench/reference/server.cjs`, @copilotkit/runtime
1.10.6). CPU is the sum of utime + stime over the live tree; peak RSS is the largest VmHWM in it, that
is the peak of one worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent
REFERENCE = Path(__file__).parent / "reference"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += _children(current)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        peak = max(peak, int(found.group(1)) if found else 0)
    return peak / 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    url: str
    log: list[str] = field(default_factory=list)

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pids())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in self.pids():
                    os.kill(pid, signal.SIGKILL)
                self.process.wait()


def _start(name: str, command: list[str], ready: str | None, env: dict[str, str] | None = None) -> Server:
    """Start `command` and wait for the line matching `ready` (its group 1 is the URL) on stdout or stderr."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT, bufsize=1
    )
    assert process.stdout is not None
    server = Server(name, process, "")
    if ready is None:
        threading.Thread(target=lambda: server.log.extend(process.stdout or ()), daemon=True).start()
        return server
    for line in process.stdout:
        server.log.append(line)
        found = re.search(ready, line)
        if found:
            server.url = found.group(1)
            # Keep reading the log so a full pipe never blocks the server.
            threading.Thread(target=lambda: server.log.extend(process.stdout or ()), daemon=True).start()
            return server
    raise SystemExit(f"{name} did not start:\n{''.join(server.log[-30:])}")


def start_mock() -> Server:
    return _start("mock LLM", [sys.executable, "-m", "bench.mock_llm"], r"Uvicorn running on (http://\S+)")


def start_ours(mock_url: str, store_url: str, workers: int, scratch: Path, extra: str = "") -> Server:
    """`extra`: more TOML settings (for A/B runs, e.g. `compiled_chat = false`)."""
    config = scratch / f"bench-{workers}.toml"
    config.write_text(
        extra + "\n" + 'llm_provider = "openai"\nllm_model = "bench"\n'
        f'llm_base_url = "{mock_url}/v1"\nllm_api_key = "bench"\n'
        f'state_store_url = "{store_url}"\nlog_level = "warning"\n'
        # loadAgentState needs a named agent, as it does in the reference (`bench_agent` there too)
        '[[agents]]\nname = "bench_agent"\nkind = "python"\nimport = "bench.agent:agent"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGUI_")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    command = [sys.executable, "-m", "agui_runtime", "serve", "--config", str(config), "--port", str(port)]
    command += ["--workers", str(workers)]
    label = f"agui-runtime ({workers} worker{'s' if workers > 1 else ''})"
    # Logging at warning, as the reference logs at error by default: no access line per request.
    server = _start(label, command, None, env)
    server.url = f"http://127.0.0.1:{port}/api/copilotkit"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if httpx.get(f"{server.url}/ready").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{label} is not ready:\n{''.join(server.log[-30:])}")


def start_reference(mock_url: str) -> Server:
    if not (REFERENCE / "node_modules").is_dir():
        raise SystemExit("the reference is not installed: npm ci --prefix bench/reference")
    env = {**os.environ, "NODE_ENV": "production"}
    command = ["node", str(REFERENCE / "server.cjs"), f"{mock_url}/v1"]
    return _start("reference 1.10.6", command, r"listening on (http://\S+)", env)
