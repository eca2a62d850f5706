"""The v2 endpoint the settings describe."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from agui_runtime.adapters.inbound.agui.endpoint import AguiEndpoint
from agui_runtime.adapters.inbound.agui.runtime import AguiUseCases, DefaultAgentOptions
from agui_runtime.application.requests import HeaderAllowlist


class V2Settings(Protocol):
    """The settings the v2 endpoint reads (the runtime's `Settings` has them)."""

    @property
    def path(self) -> str: ...
    @property
    def default_agent_max_steps(self) -> int: ...
    @property
    def default_agent_prompt(self) -> str | None: ...
    @property
    def default_agent_forward_system_messages(self) -> bool: ...
    @property
    def default_agent_forward_developer_messages(self) -> bool: ...
    @property
    def default_agent_overridable_properties(self) -> Sequence[str]: ...
    @property
    def forward_headers(self) -> Sequence[str]: ...
    @property
    def forward_headers_denied(self) -> Sequence[str]: ...
    @property
    def properties(self) -> dict[str, Any]: ...


def v2_endpoint(settings: V2Settings, use_cases: Callable[[], AguiUseCases | None]) -> AguiEndpoint:
    """`use_cases` answers None outside the app's lifespan; `info` reports the installed version."""
    return AguiEndpoint(
        settings.path,
        use_cases,
        version=importlib.metadata.version("agui-runtime"),
        max_model_calls=settings.default_agent_max_steps,
        forward_headers=HeaderAllowlist(settings.forward_headers, settings.forward_headers_denied),
        properties=settings.properties,
        default_agent=DefaultAgentOptions(
            prompt=settings.default_agent_prompt,
            forward_system_messages=settings.default_agent_forward_system_messages,
            forward_developer_messages=settings.default_agent_forward_developer_messages,
            overridable=frozenset(settings.default_agent_overridable_properties),
        ),
    )
