"""The core imports only the standard library and itself; the container resolves every provider."""

import ast
import inspect
import sys
from pathlib import Path

import pytest
from dependency_injector import providers

from agui_runtime.adapters.settings import Settings
from agui_runtime.bootstrap import build_container
from tests.integration.sample_agents import python_agent

SRC = Path(__file__).resolve().parents[2] / "src"
CORE = {"domain": {"domain"}, "application": {"domain", "application"}}


def root(module: str) -> str:
    """The top-level name, or the layer for a module of this package (`agui_runtime.domain.x` -> `domain`)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "agui_runtime" and len(parts) > 1 else parts[0]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {root(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(root(node.module))
    return roots


@pytest.mark.parametrize("layer", sorted(CORE))
def test_the_core_imports_only_the_standard_library(layer: str) -> None:
    files = sorted((SRC / layer).rglob("*.py"))
    assert files
    foreign = {
        f"{path.relative_to(SRC)}: {root}"
        for path in files
        for root in imported_roots(path)
        if root not in sys.stdlib_module_names and root not in CORE[layer]
    }
    assert not foreign


@pytest.mark.parametrize(
    ("llm", "model_type", "guardrails_type"),
    [
        ({}, "NoneType", "ModelGuardrails"),
        (
            {"llm_provider": "openai", "llm_model": "gpt-4o-mini", "llm_api_key": "sk-test", "guardrails": "cloud"},
            "OpenAIChatModel",
            "CloudGuardrails",
        ),
        (
            {"llm_provider": "anthropic", "llm_model": "claude-x", "llm_api_key": "sk-ant"},
            "AnthropicChatModel",
            "ModelGuardrails",
        ),
    ],
)
async def test_every_container_provider_resolves(
    llm: dict[str, str], model_type: str, guardrails_type: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runtime.db'}"
    settings = Settings.model_validate({"agents": [python_agent("a")], "state_store_url": store, **llm})
    container = build_container(settings)
    await container.init_resources()  # type: ignore[misc]
    try:
        resolved = {}
        for name, provider in container.providers.items():
            if isinstance(provider, (providers.Configuration, providers.Dependency)):
                continue
            value = provider()
            resolved[name] = await value if inspect.isawaitable(value) else value
    finally:
        await container.shutdown_resources()  # type: ignore[misc]
    assert set(resolved) == {
        "clock",
        "ids",
        "thread_store",
        "agents",
        "chat_model",
        "actions",
        "python_actions",
        "http_client",
        "remote_endpoints",
        "before_hook",
        "after_hook",
        "agents_factory",
        "hooks",
        "guardrails",
        "list_agents",
        "agent_catalogue",
        "load_agent_state",
        "generate_response",
        "run_agent",
        "limits",
        "live_runs",
        "live_runner",
        "thread_queries",
        "suggest",
        "graphql_use_cases",
        "v2_use_cases",
    }
    assert type(resolved["live_runs"]).__name__ == "InProcessLiveRuns"
    assert resolved["live_runner"].store is resolved["thread_store"]
    assert resolved["thread_queries"].clearing_enabled is False
    assert resolved["generate_response"].limits is resolved["limits"] is resolved["run_agent"].limits
    assert type(resolved["thread_store"]).__name__ == "SqlThreadStore"
    assert type(resolved["chat_model"]).__name__ == model_type
    assert type(resolved["generate_response"].chat_model).__name__ == model_type
    assert type(resolved["generate_response"].guardrails).__name__ == guardrails_type
    assert type(resolved["load_agent_state"].hooks).__name__ == "PythonHooks"
