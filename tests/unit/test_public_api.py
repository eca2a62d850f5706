"""The names users import are pinned: the package root's `__all__`, what the README teaches, the wheel's layout."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import agui_runtime
import agui_runtime.agents

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = [
    "AfterRequest",
    "BackendAction",
    "BeforeRequest",
    "RequestContext",
    "RequestRejected",
    "Settings",
    "SettingsError",
    "backend_action",
    "create_app",
    "load_settings",
    "mount",
]


def test_the_package_root_exports_exactly_the_public_api() -> None:
    assert sorted(agui_runtime.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(agui_runtime, name) is not None
    assert agui_runtime.agents.__all__ == ["PydanticAIAgent"]
    with pytest.raises(AttributeError, match="no attribute 'bootstrap_helper'"):
        _ = agui_runtime.bootstrap_helper


def test_the_public_names_are_the_ones_the_runtime_uses() -> None:
    from agui_runtime.adapters.outbound.actions import backend_action
    from agui_runtime.application.requests import RequestContext
    from agui_runtime.bootstrap import create_app

    assert agui_runtime.create_app is create_app
    assert agui_runtime.backend_action is backend_action
    assert agui_runtime.RequestContext is RequestContext


def test_the_keywords_the_readme_teaches_for_code_given_parts() -> None:
    import inspect

    for function in (agui_runtime.create_app, agui_runtime.mount):
        keywords = inspect.signature(function).parameters
        assert {"actions", "on_before_request", "on_after_request", "agents"} <= set(keywords)
        assert keywords["agents"].kind is inspect.Parameter.KEYWORD_ONLY


def test_importing_the_domain_does_not_load_the_runtime() -> None:
    # The root's names load on first use: the pure core stays importable without the web stack.
    code = (
        "import sys, agui_runtime.domain.messages; "
        "print('fastapi' in sys.modules, 'agui_runtime.bootstrap' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["False", "False"]


def test_every_package_under_src_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    tree = {
        ".".join(("agui_runtime", *init.parent.relative_to(ROOT / "src").parts))
        for init in (ROOT / "src").rglob("__init__.py")
    }
    assert listed == tree
    for package in listed:
        importlib.import_module(package)


def test_every_module_imports_on_its_own() -> None:
    # An import cycle shows only when its modules are imported in one order: start each from nothing.
    code = """
import importlib, pkgutil, sys
import agui_runtime
names = [m.name for m in pkgutil.walk_packages(agui_runtime.__path__, "agui_runtime.") if ".migrations" not in m.name]
failed = []
for name in names:
    for loaded in [key for key in sys.modules if key.startswith("agui_runtime.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print(len(names))
print("\\n".join(failed))
"""
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, *failed = shown.splitlines()
    assert int(count) > 100
    assert [line for line in failed if line] == []
