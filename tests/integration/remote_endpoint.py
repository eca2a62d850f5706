"""A legacy CopilotKit remote endpoint on loopback (the shape of the Python SDK's FastAPI endpoint):
`/info` lists one LangGraph agent (after `info_failures` 503s), `/agents/state` answers a stored thread,
and `/agents/execute` runs as the SDK's `LangGraphAgent.execute` (copilotkit 0.1.87) does for a one-node
graph, `chat`:
- a `LangGraphInterruptEvent` meta event with a `response` resumes the graph with it (`Command(resume=...)`);
- a `nodeName` other than `__end__` "continues" from that node (`aupdate_state(as_node=...)`, then a stream
  with no input): after `chat` comes the end, so nothing runs and only the state syncs come back;
- otherwise the graph starts: threads named `t-lg...` replay a recorded stream that ends on an interrupt,
  others answer `Answer <n>`.
The last state sync names the graph's end, `__end__`, unless the graph stopped on an interrupt.
Records every request."""

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
    answers: int = 0
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
        thread = body["threadId"]
        answer = next((e for e in body.get("metaEvents") or [] if e.get("name") == "LangGraphInterruptEvent"), None)
        node = body.get("nodeName")
        if answer is not None and "response" in answer:
            response = answer["response"]
            said = response if isinstance(response, str) else json.dumps(response, sort_keys=True)
            lines = self._chat(thread, f"Booked: {said}", body["state"])
        elif thread and node is not None and node != "__end__":
            lines = [_sync(thread, node, body["state"], active=True), _sync(thread, "__end__", body["state"])]
        elif thread.startswith("t-lg"):
            return Response(STREAM.read_text(encoding="utf-8").replace("THREAD", thread), media_type="application/json")
        else:
            self.answers += 1
            lines = self._chat(thread, f"Answer {self.answers}", body["state"])
            if node == "__end__":  # the SDK's first sync names the node it was given until the graph enters one
                lines.insert(0, _sync(thread, "__end__", body["state"], active=True))
        return Response("".join(json.dumps(line) + "\n" for line in lines), media_type="application/json")

    def _chat(self, thread: str, reply: str, state: dict[str, Any]) -> list[dict[str, Any]]:
        message_id = f"lc-{thread}-{self.answers}-{len(self.requests)}"
        words = reply.split(" ")
        chunks = [_chunk(message_id, word if i == 0 else " " + word, None) for i, word in enumerate(words)] + [
            _chunk(message_id, "", "stop")
        ]
        return [
            _sync(thread, "chat", state, active=True),
            *chunks,
            _sync(thread, "chat", state),
            _sync(thread, "__end__", state),
        ]

    async def _state(self, request: Request) -> Response:
        body = await self._record(request, "state")
        if body["threadId"] != "t-stored":
            return JSONResponse({"threadId": body["threadId"], "threadExists": False, "state": {}, "messages": []})
        return JSONResponse(
            {"threadId": "t-stored", "threadExists": True, "state": {"city": "Rome"}, "messages": STORED_MESSAGES}
        )


def json_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in STREAM.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sync(thread: str, node: str, state: dict[str, Any], *, active: bool = False) -> dict[str, Any]:
    return {
        "event": "on_copilotkit_state_sync",
        "thread_id": thread,
        "run_id": "lg-run",
        "agent_name": "travel",
        "node_name": node,
        "active": active,
        "state": {key: value for key, value in state.items() if key != "messages"},
        "running": True,
        "role": "assistant",
    }


def _chunk(message_id: str, content: str, finish: str | None) -> dict[str, Any]:
    metadata = {"finish_reason": finish} if finish else {}
    fields = {"content": content, "id": message_id, "tool_call_chunks": [], "response_metadata": metadata}
    return {
        "event": "on_chat_model_stream",
        "metadata": {"langgraph_node": "chat"},
        "data": {"chunk": {"kwargs": fields}},
    }
