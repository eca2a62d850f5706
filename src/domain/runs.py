"""What is kept of a run once it has started: which thread and agent, how it ended, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from agui_runtime.domain.events import RunEvent


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    ABORTED = "aborted"  # the client left before the end


@dataclass(frozen=True, slots=True)
class RunRecord:
    """`agent_name` is None for a chat with the model; `error_code` says why a run did not finish;
    `events`: what the run streamed, compacted (`domain.run.Run`), kept once it has ended."""

    id: str
    thread_id: str
    agent_name: str | None
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    error_code: str | None = None
    events: tuple[RunEvent, ...] = ()

    @property
    def ended(self) -> bool:
        """The run has its final record (a replay shows it); one still `running` may be live elsewhere."""
        return self.status is not RunStatus.RUNNING
