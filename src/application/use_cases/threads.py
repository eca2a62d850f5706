"""The threads a principal has, and what each holds, for thread lists and inspectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agui_runtime.application.errors import ApplicationError
from agui_runtime.application.ports import AgentFilter, RequestHooks, ThreadStore
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.messages import Message
from agui_runtime.domain.run import RunRecord
from agui_runtime.domain.thread import ThreadPage

MAX_PAGE = 1000


class ClearingDisabled(ApplicationError):
    code = ErrorCode.THREADS_CLEAR_DISABLED


class ClearingNeedsPrincipal(ApplicationError):
    code = ErrorCode.THREADS_CLEAR_NEEDS_PRINCIPAL


@dataclass(frozen=True, slots=True)
class ThreadQueries:
    """Rules:
    - Every query is scoped to the request's principal (`on_before_request`): a thread another principal
      owns reads as one that does not exist, empty (no messages, no runs), so its existence is not revealed.
      An empty answer, not `NotFound`: a client opening a thread it has not used yet reads it first.
    - A page holds at most `MAX_PAGE` threads.
    - Clearing deletes only the principal's own threads, and only when `clearing_enabled` and the request
      has a principal (anonymous threads are everyone's: one anonymous request must not wipe them all)."""

    store: ThreadStore
    hooks: RequestHooks
    clearing_enabled: bool = False

    async def _principal(self, operation: str, request: RequestContext, thread_id: str | None = None) -> str | None:
        return await self.hooks.before_request(BeforeRequest(operation, request, thread_id=thread_id))

    async def list(
        self,
        request: RequestContext,
        *,
        limit: int,
        before: tuple[datetime, str] | None = None,
        agent: AgentFilter | None = None,
    ) -> ThreadPage:
        principal = await self._principal("threads/list", request)
        bounded = max(1, min(limit, MAX_PAGE))
        return await self.store.list_threads(principal, limit=bounded, before=before, agent=agent)

    async def messages(self, thread_id: str, request: RequestContext) -> tuple[Message, ...]:
        principal = await self._principal("threads/messages", request, thread_id)
        thread = await self.store.get_thread(thread_id)
        if thread is None or not thread.accessible_by(principal):
            return ()
        return tuple(thread.history())

    async def runs(self, thread_id: str, request: RequestContext) -> tuple[RunRecord, ...]:
        """The thread's ended runs with their events, in the order they started."""
        principal = await self._principal("threads/events", request, thread_id)
        thread = await self.store.get_thread(thread_id, with_messages=False)
        if thread is None or not thread.accessible_by(principal):
            return ()
        return tuple(run for run in await self.store.list_runs(thread_id) if run.ended)

    async def clear(self, request: RequestContext) -> int:
        principal = await self._principal("threads/clear", request)
        if not self.clearing_enabled:
            raise ClearingDisabled("Clearing threads is turned off on this runtime (AGUI_THREADS_CLEAR_ENABLED).")
        if principal is None:
            raise ClearingNeedsPrincipal(
                "Clearing threads needs a signed-in user: an on_before_request hook that names the principal."
            )
        return await self.store.delete_threads(principal)
