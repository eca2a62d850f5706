"""The built wheel, installed into a fresh virtualenv outside the repository: one package, `agui_runtime`,
whose public names import, whose command serves the real client, and which a host FastAPI app mounts.

The fresh virtualenv gets its third-party packages from the project's own one (a `.pth` line; the `.pth`
files there, such as the editable install's, are not read through it), so what is under test is the wheel.
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import node_client

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_IMPORT = (
    "from agui_runtime import create_app, mount, backend_action, RequestContext, RequestRejected, "
    "BeforeRequest, AfterRequest, Settings, load_settings"
)
HOST_APP = """
import asyncio, json, httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from agui_runtime import Settings, mount

host = FastAPI()

@host.get("/own")
def own() -> dict[str, str]:
    return {"host": "yes"}

mount(host, "/api/copilotkit", Settings.model_validate({"state_store_url": "memory://"}))

async def main() -> None:
    async with LifespanManager(host) as started:
        transport = httpx.ASGITransport(app=started.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
            hello = await client.post("/api/copilotkit", json={"query": "{ hello }"})
            info = await client.get("/api/copilotkit/info")
            own = await client.get("/own")
    print(json.dumps([hello.json(), info.status_code, own.json()]))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("agui_runtime-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv outside the repository with the wheel installed; yields its bin directory."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "third_party.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv / "bin"


def outside(bin_dir: Path, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `command` from the fresh virtualenv in a directory outside the repository."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AGUI_", "PYTHON"))}
    return subprocess.run(
        command, cwd=bin_dir.parent, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_wheel_holds_one_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"agui_runtime", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "agui_runtime/py.typed" in names
    assert "agui_runtime/bootstrap.py" in names
    assert any(
        re.fullmatch(r"agui_runtime/adapters/outbound/state/sql/migrations/versions/0001_\w+\.py", n) for n in names
    )
    assert not [name for name in names if "tests/" in name or "__pycache__" in name]


def test_the_public_api_imports_from_the_installed_package(fresh: Path) -> None:
    shown = outside(
        fresh, str(fresh / "python"), "-c", PUBLIC_IMPORT + "; import agui_runtime; print(agui_runtime.__file__)"
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().startswith(str(fresh.parent)), "imported from somewhere else than the fresh venv"
    agents = outside(fresh, str(fresh / "python"), "-c", "from agui_runtime.agents import PydanticAIAgent")
    assert agents.returncode == 0, agents.stderr


def test_the_installed_command_serves_the_real_client(fresh: Path) -> None:
    config = fresh.parent / "runtime.toml"
    agent = '[[agents]]\nname = "writer"\nkind = "agui-http"\nurl = "http://127.0.0.1:9/agent"\n'
    config.write_text(f'state_store_url = "sqlite:///{fresh.parent / "runtime.db"}"\n' + agent, encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AGUI_", "PYTHON"))}
    process = subprocess.Popen(
        [str(fresh / "agui-runtime"), "serve", "--config", str(config), "--port", "0"],
        cwd=fresh.parent,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        for line in process.stderr:
            found = re.search(r"Uvicorn running on (http://\S+)", line)
            if found:
                url = found.group(1) + "/api/copilotkit"
                break
        assert url is not None, "the installed command did not start"
        answer = node_client(url, "availableAgents")
        assert answer["error"] is None
        assert answer["data"] == {
            "availableAgents": {
                "agents": [{"name": "writer", "id": "writer", "description": "", "__typename": "Agent"}],
                "__typename": "AgentsResponse",
            }
        }
        assert answer["warnings"] == []
        module = outside(fresh, str(fresh / "python"), "-m", "agui_runtime", "db", "upgrade", "--config", str(config))
        assert module.returncode == 0, module.stderr
        assert "the schema of the sqlite store is up to date" in module.stdout
    finally:
        process.terminate()
        process.communicate(timeout=15)  # reads the rest of the log and closes the pipe


def test_a_host_fastapi_app_mounts_the_installed_runtime(fresh: Path) -> None:
    script = fresh.parent / "host.py"
    script.write_text(HOST_APP, encoding="utf-8")
    shown = outside(fresh, str(fresh / "python"), str(script))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == '[{"data": {"hello": "Hello World"}}, 200, {"host": "yes"}]'


def test_uvicorn_serves_the_installed_factory(fresh: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AGUI_", "PYTHON"))}
    environment["AGUI_STATE_STORE_URL"] = "memory://"
    command = [str(fresh / "python"), "-m", "uvicorn", "--factory", "agui_runtime:create_app", "--port", "0"]
    process = subprocess.Popen(
        command, cwd=fresh.parent, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        url = next(
            (found.group(1) for line in process.stderr if (found := re.search(r"running on (http://\S+)", line))),
            None,
        )
        assert url is not None, "uvicorn did not start the factory"
        answer = httpx.post(f"{url}/api/copilotkit", json={"query": "{ hello }"}, timeout=10)
        assert answer.json() == {"data": {"hello": "Hello World"}}
    finally:
        process.terminate()
        process.communicate(timeout=15)
