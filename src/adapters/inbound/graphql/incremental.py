"""Incremental delivery in the format the 1.10.x client merges.

graphql-core 3.3 announces deferred fragments and streams as `pending` ids and sends entries that name
only the id. urql merges only the older format: every stream entry carries the path of its first item
(`[...list path, index]`) and every deferred entry the path of its object. This rewrites each payload
once, keeping per id its path and, for streams, the index of the next item."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from graphql.execution import (
    IncrementalDeferResult,
    IncrementalStreamResult,
    InitialIncrementalExecutionResult,
    PendingResult,
    SubsequentIncrementalExecutionResult,
)

Path = list[str | int]
Payload = dict[str, Any]
ErrorFormatter = Callable[[GraphQLError], dict[str, Any]]


@dataclass(slots=True)
class _Pending:
    path: Path
    next_index: int = 0


class LegacyIncrementalFormat:
    def __init__(self, format_error: ErrorFormatter) -> None:
        self._format_error = format_error
        self._pending: dict[str, _Pending] = {}

    def initial(self, result: InitialIncrementalExecutionResult) -> Payload:
        payload: Payload = {}
        if result.errors:
            payload["errors"] = [self._format_error(error) for error in result.errors]
        payload["data"] = result.data
        for pending in result.pending:
            self._pending[pending.id] = _Pending(list(pending.path), _count_at(result.data, pending.path))
        payload["hasNext"] = result.has_next
        return payload

    def subsequent(self, result: SubsequentIncrementalExecutionResult) -> Payload:
        announced: Sequence[PendingResult] = result.pending or ()
        new_ids = {pending.id for pending in announced}
        for pending in announced:
            self._pending[pending.id] = _Pending(list(pending.path))
        increments = list(result.incremental or ())
        entries: list[Payload | None] = [None] * len(increments)
        # Entries of earlier ids first: a new stream's inline items (initialCount) are read from them.
        for index, increment in enumerate(increments):
            if increment.id not in new_ids:
                entries[index] = self._entry(increment)
        for pending in announced:
            self._pending[pending.id].next_index = _count_in_entries(
                [entry for entry in entries if entry is not None], pending.path
            )
        for index, increment in enumerate(increments):
            if entries[index] is None:
                entries[index] = self._entry(increment)
        incremental = [entry for entry in entries if entry is not None]
        for completed in result.completed or ():
            done = self._pending.pop(completed.id, None)
            if done is not None and completed.errors:
                errors = [self._format_error(error) for error in completed.errors]
                incremental.append({"path": done.path, "errors": errors})
        payload: Payload = {}
        if incremental:
            payload["incremental"] = incremental
        payload["hasNext"] = result.has_next
        return payload

    def _entry(self, increment: IncrementalDeferResult | IncrementalStreamResult) -> Payload:
        pending = self._pending[increment.id]
        entry: Payload
        if isinstance(increment, IncrementalStreamResult):
            entry = {"items": list(increment.items), "path": [*pending.path, pending.next_index]}
            pending.next_index += len(increment.items)
        else:
            entry = {"data": increment.data, "path": [*pending.path, *(increment.sub_path or ())]}
        if increment.errors:
            entry["errors"] = [self._format_error(error) for error in increment.errors]
        return entry


def _walk(value: Any, path: Iterable[str | int]) -> Any:
    for key in path:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _count_at(data: Any, path: Sequence[str | int]) -> int:
    found = _walk(data, path)
    return len(found) if isinstance(found, list) else 0


def _count_in_entries(entries: Iterable[Payload], path: Sequence[str | int]) -> int:
    """Items already delivered inline in the list at `path`, found in the entry that delivered its parent."""
    for entry in entries:
        where: Path = entry["path"]
        if "items" in entry:
            base, start = where[:-1], where[-1]
            assert isinstance(start, int)
            for offset, item in enumerate(entry["items"]):
                item_path = [*base, start + offset]
                if list(path[: len(item_path)]) == item_path:
                    return _count_at(item, path[len(item_path) :])
        elif "data" in entry and list(path[: len(where)]) == where:
            return _count_at(entry["data"], path[len(where) :])
    return 0


def _dumps(payload: Payload) -> bytes:
    """Compact UTF-8 JSON; orjson writes one payload per token several times faster than `json`. Values
    it refuses (an integer wider than 64 bits in a state, say) go through `json`."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


MULTIPART_HEADERS = {"content-type": 'multipart/mixed; boundary="-"'}
SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache"}


async def multipart(payloads: AsyncIterator[Payload]) -> AsyncIterator[bytes]:
    """graphql-yoga's framing, which urql parses: a leading `\\r\\n---`, one part per payload, `--\\r\\n`."""
    yield b"\r\n---"
    async for payload in payloads:
        body = _dumps(payload)
        yield b"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s\r\n---" % (
            len(body),
            body,
        )
    yield b"--\r\n"


async def server_sent_events(payloads: AsyncIterator[Payload]) -> AsyncIterator[bytes]:
    """SSE with `\\n` framing only: urql splits events on `\\n\\n` (a `\\r\\n` framing breaks it)."""
    yield b":\n\n"
    async for payload in payloads:
        yield b"event: next\ndata: %s\n\n" % _dumps(payload)
    yield b"event: complete\ndata:\n\n"
