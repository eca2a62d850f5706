"""What the runtime knows about an agent before it runs one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agui_runtime.domain.errors import DomainError

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")


@dataclass(frozen=True, slots=True)
class AgentDescriptor:
    """An agent as clients see it: the name is its identity, so its id never changes between calls."""

    name: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise DomainError(
                f"agent name {self.name!r} must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
            )

    @property
    def id(self) -> str:
        return self.name
