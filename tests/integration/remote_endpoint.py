"""A legacy CopilotKit remote endpoint on loopback (the shape of the Python SDK's FastAPI endpoint):
`/info` lists one LangGraph agent (after `info_failures` 503s), `/agents/execute` replays a recorded
LangGraph JSON-line stream, `/agents/state` answers a stored thread. Records every request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.integration.loopback import Loopback

STREAM = Path(__file__).parent / "fixtures" / "langgraph_agent_stream.jsonl"
ACTIONS = [
    {
        "name": "bookFlight",
        "description": "Books a flight",
        "parameters": [
            {"name": "city", "type": "string", "description": "Where to"},
            {"name": "seats", "type": "number", "description": "How many", "required": False},
        ],
    }
]
STORED_MESSAGES = [{"id": "u1", "role": "user", "content": "hi"}, {"id": "a1", "role": "assistant", "content": "hey"}]


@dataclass
class RemoteEndpointServer:
    info_failures: int = 0
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _loopback: Loopback | None = None

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/copilotkit/info", self._info, methods=["POST"]),
                Route("/copilotkit/agents/execute", self._execute, methods=["POST"]),
                Route("/copilotkit/agents/state", self._state, methods=["POST"]),
                Route("/copilotkit/actions/execute", self._action, methods=["POST"]),
            ]
        )
        self._loopback = Loopback(app, "remote endpoint")
        self.url = self._loopback.start() + "/copilotkit"

    def stop(self) -> None:
        if self._loopback is not None:
            self._loopback.stop()

    def calls(self, path: str) -> list[dict[str, Any]]:
        return [body for called, body in self.requests if called == path]

    async def _record(self, request: Request, path: str) -> dict[str, Any]:
        body: dict[str, Any] = await request.json()
        self.requests.append((path, body))
        return body

    async def _info(self, request: Request) -> Response:
        await self._record(request, "info")
        if self.info_failures > 0:
            self.info_failures -= 1
            return JSONResponse({"error": "starting up"}, status_code=503)
        agents = [{"name": "travel", "description": "Plans trips", "type": "langgraph"}]
        return JSONResponse({"actions": ACTIONS, "agents": agents, "sdkVersion": "0.1.40"})

    async def _action(self, request: Request) -> Response:
        body = await self._record(request, "action")
        city = body["arguments"].get("city")
        if city == "Atlantis":
            return JSONResponse({"error": "no flights to Atlantis"}, status_code=500)
        return JSONResponse({"result": {"booked": city, "seats": body["arguments"].get("seats", 1)}})

    async def _execute(self, request: Request) -> Response:
        body = await self._record(request, "execute")
        lines = STREAM.read_text(encoding="utf-8").replace("THREAD", body["threadId"])
        return Response(lines.encode(), media_type="application/json")

    async def _state(self, request: Request) -> Response:
        body = await self._record(request, "state")
        if body["threadId"] != "t-stored":
            return JSONResponse({"threadId": body["threadId"], "threadExists": False, "state": {}, "messages": []})
        return JSONResponse(
            {"threadId": "t-stored", "threadExists": True, "state": {"city": "Rome"}, "messages": STORED_MESSAGES}
        )


def json_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in STREAM.read_text(encoding="utf-8").splitlines() if line.strip()]
