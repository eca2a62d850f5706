"""Replayable progress of one run, for the streamed and deferred fields of a response.

A nested field (a message's `content`) starts only after its message was sent, so every reader replays
from the start of a buffer instead of taking from a shared queue; one broadcast wakes all readers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
S = TypeVar("S")
M = TypeVar("M")
E = TypeVar("E")


class Broadcast:
    """Wakes every waiter on each change. A cancelled waiter (a client that left) affects nobody else."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def waiter(self) -> asyncio.Event:
        return self._event


async def _replay(items: list[T], broadcast: Broadcast, done: Callable[[], bool]) -> AsyncIterator[T]:
    """Every item from the first, then each new one as it comes, until `done()` and nothing is left."""
    index = 0
    while True:
        waiter = broadcast.waiter()
        while index < len(items):
            yield items[index]
            index += 1
        if done():
            return
        await waiter.wait()


class MessageProgress(Generic[S]):
    """The streamed parts of one message (text deltas or argument fragments) and its final status."""

    def __init__(self, broadcast: Broadcast, parts: list[str] | None = None, status: S | None = None) -> None:
        self._broadcast = broadcast
        self.parts: list[str] = parts if parts is not None else []
        self.status: S | None = status

    def add(self, part: str) -> None:
        self.parts.append(part)
        self._broadcast.notify()

    def finish(self, status: S) -> None:
        if self.status is None:
            self.status = status
            self._broadcast.notify()

    async def stream(self) -> AsyncIterator[str]:
        async for part in _replay(self.parts, self._broadcast, lambda: self.status is not None):
            yield part

    async def finished(self) -> S:
        while self.status is None:
            await self._broadcast.waiter().wait()
        return self.status


class RunProgress(Generic[M, E, S]):
    """The messages and meta events of a run as they appear, and the response status once it ends."""

    def __init__(self) -> None:
        self.broadcast = Broadcast()
        self.messages: list[M] = []
        self.meta_events: list[E] = []
        self.status: S | None = None

    def add_message(self, message: M) -> None:
        self.messages.append(message)
        self.broadcast.notify()

    def add_meta_event(self, event: E) -> None:
        self.meta_events.append(event)
        self.broadcast.notify()

    def finish(self, status: S) -> None:
        if self.status is None:
            self.status = status
            self.broadcast.notify()

    async def stream_messages(self) -> AsyncIterator[M]:
        async for message in _replay(self.messages, self.broadcast, lambda: self.status is not None):
            yield message

    async def stream_meta_events(self) -> AsyncIterator[E]:
        async for event in _replay(self.meta_events, self.broadcast, lambda: self.status is not None):
            yield event

    async def finished(self) -> S:
        while self.status is None:
            await self.broadcast.waiter().wait()
        return self.status
