"""The core imports only the standard library and itself; the container resolves every provider."""

import ast
import sys
from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.settings import Settings
from bootstrap import build_container

SRC = Path(__file__).resolve().parents[2] / "src"
CORE = {"domain": {"domain"}, "application": {"domain", "application"}}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
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


def test_every_container_provider_resolves() -> None:
    container = build_container(Settings.model_validate({"agents": [{"name": "a", "kind": "python", "import": "m:x"}]}))
    resolved = {}
    for name, provider in container.providers.items():
        if isinstance(provider, providers.Configuration):
            continue
        resolved[name] = provider()
    assert {"clock", "ids", "thread_store", "agents", "list_agents", "load_agent_state"} <= resolved.keys()
    assert type(resolved["thread_store"]).__name__ == "InMemoryThreadStore"
