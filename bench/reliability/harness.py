"""The processes the suite runs on loopback: the mock LLM, the mock AG-UI agent, the fault proxy in front of
both, and one runtime (`agui-runtime serve`, one worker, a fresh SQLite file) kept for every check.

The runtime gets the suite's settings as TOML. Settings it does not know yet (it refuses unknown keys with
`invalid setting <key> ...: Extra inputs are not permitted`) are dropped and it is started again; the report
lists them, and the checks that need them fail on their own evidence."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

from bench import servers
from bench.reliability.client import ProxyControl

# Short timeouts so the hang and stall cases end in seconds.
TIMEOUT = 2.0
SUITE_SETTINGS: dict[str, object] = {
    "llm_connect_timeout_seconds": TIMEOUT,
    "llm_first_token_timeout_seconds": TIMEOUT,
    "llm_idle_timeout_seconds": TIMEOUT,
    "agent_connect_timeout_seconds": TIMEOUT,
    "agent_timeout_seconds": TIMEOUT,
    "max_run_seconds": 60.0,
    "max_messages": 50,
    "max_message_bytes": 65536,
    "max_query_depth": 15,
    "max_aliases": 20,
    "max_generate_per_request": 1,
    "max_body_bytes": 1024 * 1024,
    "production": True,
    "log_format": "json",
}
_REFUSED = re.compile(r"invalid setting (\w+)\b.*Extra inputs are not permitted")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def runtime_config(llm_url: str, agent_url: str, down_url: str, store_url: str, settings: dict[str, object]) -> str:
    lines = [
        'llm_provider = "openai"',
        'llm_model = "bench"',
        f"llm_base_url = {_toml(llm_url)}",
        'llm_api_key = "bench"',
        f"state_store_url = {_toml(store_url)}",
        'log_level = "warning"',
        *(f"{key} = {_toml(value)}" for key, value in settings.items()),
        "",
        "[[agents]]",
        'name = "faulty"',
        'kind = "agui-http"',
        f"url = {_toml(agent_url)}",
        "",
        "[[agents]]",
        'name = "down"',
        'kind = "agui-http"',
        f"url = {_toml(down_url)}",
        "",
    ]
    return "\n".join(lines)


def _wait_ready(server: servers.Server, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and server.process.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.url}/ready").status_code == 200:
                return True
        time.sleep(0.1)
    return False


def start_runtime(
    scratch: Path,
    llm_url: str,
    agent_url: str,
    down_url: str,
    settings: dict[str, object],
    source: Path | None = None,
) -> tuple[servers.Server, dict[str, object], list[str]]:
    """The runtime, ready; the settings it took and the keys it refused. `source`: another source tree
    (its `src`) to run instead of the installed one, e.g. an older checkout."""
    settings, refused = dict(settings), list[str]()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGUI_")}
    env["PYTHONPATH"] = os.pathsep.join([*([str(source)] if source else []), str(servers.ROOT)])
    store = f"sqlite:///{scratch / 'reliability.db'}"
    for attempt in range(len(SUITE_SETTINGS) + 1):
        config = scratch / f"runtime-{attempt}.toml"
        config.write_text(runtime_config(llm_url, agent_url, down_url, store, settings), encoding="utf-8")
        port = servers.free_port()
        command = [sys.executable, "-m", "agui_runtime", "serve", "--config", str(config), "--port", str(port)]
        server = servers._start("agui-runtime", [*command, "--workers", "1"], None, env)
        server.url = f"http://127.0.0.1:{port}/api/copilotkit"
        if _wait_ready(server, 30):
            return server, settings, refused
        server.stop()
        time.sleep(0.2)  # the log reader thread catches up with the exited process
        unknown = [found.group(1) for line in server.log if (found := _REFUSED.search(line))]
        unknown = [key for key in unknown if key in settings]
        if not unknown:
            raise SystemExit(f"agui-runtime did not start:\n{''.join(server.log[-30:])}")
        for key in unknown:
            settings.pop(key)
            refused.append(key)
    raise SystemExit("agui-runtime did not start")


def rss_mb(server: servers.Server, field: str = "VmRSS") -> float:
    """The runtime's resident memory now (`field` of /proc/PID/status summed over its process tree: VmRSS,
    or its parts RssAnon, the heap, and RssFile, mapped files), in MB."""
    total = 0
    for pid in server.pids():
        with contextlib.suppress(OSError):
            found = re.search(rf"{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            total += int(found.group(1)) if found else 0
    return total / 1024


def rss_parts(server: servers.Server) -> str:
    return f"anon {rss_mb(server, 'RssAnon'):.1f}, file {rss_mb(server, 'RssFile'):.1f}"


@dataclass
class Env:
    """Everything a check needs: the runtime, the mocks, the proxy, one client session."""

    runtime: servers.Server
    mock_llm: servers.Server
    mock_agent: servers.Server
    proxy_server: servers.Server
    session: aiohttp.ClientSession
    proxy: ProxyControl
    smoke: bool
    settings: dict[str, object]
    refused: list[str]
    down_url: str
    notes: list[str] = field(default_factory=list)

    def limit(self, key: str, default: float) -> float:
        """A numeric setting as the runtime took it (its default when it refused the key)."""
        value = self.settings.get(key, default)
        return float(value) if isinstance(value, int | float) else default

    @property
    def url(self) -> str:
        return self.runtime.url

    @property
    def addresses(self) -> tuple[str, ...]:
        """Upstream addresses that must never reach a client (errors name the agent, not its URL)."""
        hosts = (self.proxy_server.url, self.mock_llm.url, self.mock_agent.url, self.down_url)
        return tuple(host.split("://", 1)[1].split("/", 1)[0] for host in hosts)


def start_support() -> tuple[servers.Server, servers.Server, servers.Server]:
    """The mock LLM, the mock agent and the fault proxy in front of them."""
    mock_llm = servers.start_mock()
    agent = servers._start(
        "mock agent", [sys.executable, "-m", "bench.reliability.mock_agent"], r"listening on (http://\S+)"
    )
    command = [sys.executable, "-m", "bench.reliability.faults", "--route", f"llm:/v1={mock_llm.url}"]
    command += ["--route", f"agent:/agent={agent.url}"]
    proxy = servers._start("fault proxy", command, r"listening on (http://\S+)")
    return mock_llm, agent, proxy
