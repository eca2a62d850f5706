"""An AG-UI agent server on loopback: the counter agent over SSE, plus routes that misbehave in the
ways a remote agent can (an error status, events out of order, events that are not AG-UI, a stream that
never ends). Records every request body and every stream the client closed early."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import RunAgentInput
from ag_ui.encoder import EventEncoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.integration.loopback import Loopback
from tests.integration.sample_agents import CounterAgent


@dataclass
class AgentServer:
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # each request's, lower-cased names
    disconnects: list[float] = field(default_factory=list)
    url: str = ""
    _loopback: Loopback | None = None

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/counter", self._counter, methods=["POST"]),
                Route("/status/{code:int}", self._status, methods=["POST"]),
                Route("/out-of-order", self._out_of_order, methods=["POST"]),
                Route("/not-agui", self._not_agui, methods=["POST"]),
                Route("/endless", self._endless, methods=["POST"]),
                Route("/stall", self._stall, methods=["POST"]),
                Route("/ends-early", self._ends_early, methods=["POST"]),
                Route("/everything", self._everything, methods=["POST"]),
            ]
        )
        self._loopback = Loopback(app, "agent server")
        self.url = self._loopback.start() + ""

    def stop(self) -> None:
        if self._loopback is not None:
            self._loopback.stop()

    async def _input(self, request: Request) -> RunAgentInput:
        body: dict[str, Any] = await request.json()
        self.requests.append(body)
        self.headers.append({name.lower(): value for name, value in request.headers.items()})
        return RunAgentInput.model_validate(body)

    async def _counter(self, request: Request) -> Response:
        run_input = await self._input(request)
        encoder = EventEncoder()

        async def stream() -> AsyncIterator[str]:
            async for event in CounterAgent().run(run_input):
                yield encoder.encode(event)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _status(self, request: Request) -> Response:
        await self._input(request)
        return JSONResponse({"detail": "agent exploded"}, status_code=int(request.path_params["code"]))

    async def _out_of_order(self, request: Request) -> Response:
        run_input = await self._input(request)
        started = {"type": "RUN_STARTED", "threadId": run_input.thread_id, "runId": run_input.run_id}
        content = {"type": "TEXT_MESSAGE_CONTENT", "messageId": "never-started", "delta": "hi"}
        return _sse([started, content])

    async def _not_agui(self, request: Request) -> Response:
        await self._input(request)
        return _sse([{"type": "NOT_AN_EVENT", "hello": 1}])

    async def _ends_early(self, request: Request) -> Response:
        """Starts a message and a tool call, then ends the stream: no END events, no terminal event."""
        run_input = await self._input(request)
        return _sse(
            [
                {"type": "RUN_STARTED", "threadId": run_input.thread_id, "runId": run_input.run_id},
                {"type": "TEXT_MESSAGE_START", "messageId": "m-cut", "role": "assistant"},
                {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m-cut", "delta": "half a"},
                {"type": "TOOL_CALL_START", "toolCallId": "c-cut", "toolCallName": "setColor"},
            ]
        )

    async def _everything(self, request: Request) -> Response:
        """Every kind of event current frontends render or act on, then an interrupt (a pending question)."""
        run_input = await self._input(request)
        ids = {"threadId": run_input.thread_id, "runId": run_input.run_id}
        return _sse(
            [
                {"type": "RUN_STARTED", **ids},
                {"type": "REASONING_START", "messageId": "phase-1"},
                {"type": "REASONING_MESSAGE_START", "messageId": "why-1", "role": "reasoning"},
                {"type": "REASONING_MESSAGE_CONTENT", "messageId": "why-1", "delta": "The user wants "},
                {"type": "REASONING_MESSAGE_CONTENT", "messageId": "why-1", "delta": "a plan."},
                {"type": "REASONING_MESSAGE_END", "messageId": "why-1"},
                {
                    "type": "REASONING_ENCRYPTED_VALUE",
                    "subtype": "message",
                    "entityId": "why-1",
                    "encryptedValue": "sig==",
                },
                {"type": "REASONING_END", "messageId": "phase-1"},
                {"type": "THINKING_START", "title": "legacy"},
                {"type": "THINKING_END"},
                {
                    "type": "ACTIVITY_SNAPSHOT",
                    "messageId": "card-1",
                    "activityType": "progress",
                    "content": {"step": 1, "of": 3},
                    "subagentRunId": "sub-7",
                },
                {
                    "type": "ACTIVITY_DELTA",
                    "messageId": "card-1",
                    "activityType": "progress",
                    "patch": [{"op": "replace", "path": "/step", "value": 2}],
                    "subagentRunId": "sub-7",
                },
                {"type": "RAW", "event": {"vendor": "x", "n": [1, 2]}, "source": "vendor-x"},
                {"type": "CUSTOM", "name": "progress", "value": {"pct": 50}, "subagentRunId": "sub-7"},
                {"type": "TEXT_MESSAGE_START", "messageId": "answer-1", "role": "assistant"},
                {"type": "TEXT_MESSAGE_CONTENT", "messageId": "answer-1", "delta": "Which city?"},
                {"type": "TEXT_MESSAGE_END", "messageId": "answer-1"},
                {
                    "type": "RUN_FINISHED",
                    **ids,
                    "outcome": {"type": "interrupt", "interrupts": [{"id": "ask-1", "reason": "input_required"}]},
                },
            ]
        )

    async def _stall(self, request: Request) -> Response:
        run_input = await self._input(request)

        async def stream() -> AsyncIterator[bytes]:
            yield _frame({"type": "RUN_STARTED", "threadId": run_input.thread_id, "runId": run_input.run_id})
            await asyncio.sleep(30)  # then nothing: the runtime's read timeout must end the run

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _endless(self, request: Request) -> Response:
        run_input = await self._input(request)

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield _frame({"type": "RUN_STARTED", "threadId": run_input.thread_id, "runId": run_input.run_id})
                yield _frame({"type": "TEXT_MESSAGE_START", "messageId": "m-endless", "role": "assistant"})
                while True:
                    yield _frame({"type": "TEXT_MESSAGE_CONTENT", "messageId": "m-endless", "delta": "more "})
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                self.disconnects.append(time.time())
                raise

        return StreamingResponse(stream(), media_type="text/event-stream")


def _frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event)}\n\n".encode()


def _sse(events: list[dict[str, Any]]) -> Response:
    return Response(b"".join(_frame(event) for event in events), media_type="text/event-stream")
