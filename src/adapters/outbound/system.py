"""The system clock and random ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from agui_runtime.application.ports import Clock, IdGenerator


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIdGenerator(IdGenerator):
    """`ck-` + uuid4, the id form CopilotKit clients already produce and expect."""

    def new_id(self) -> str:
        return f"ck-{uuid.uuid4()}"
