"""A mock AG-UI agent: `POST /agent` answers a `RunAgentInput` with server-sent AG-UI events, `data: <json>`
frames: RUN_STARTED, one text message streamed as the mock LLM's words (`w0 w1 ...`), RUN_FINISHED. Paced at
`rate` tokens/s on an absolute schedule, as the mock LLM is.

`POST /control {"tokens": T, "rate": R}` sets the reply for the runs that follow; a run whose
`forwardedProps` carry `mockTokens` / `mockRate` (GraphQL `properties` arrive there) uses those instead, so
one slow run can go beside fast ones. `GET /stats` counts runs and the runs whose client left early.

    python -m bench.reliability.mock_agent --port 8200
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from aiohttp import web

from bench.mock_llm import word


class MockAgent:
    def __init__(self) -> None:
        self.tokens = 5
        self.rate = 0.0
        self.runs = 0
        self.left_early = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/agent", self._run)
        app.router.add_post("/control", self._control)
        app.router.add_get("/stats", self._stats)
        return app

    async def _control(self, request: web.Request) -> web.Response:
        settings = await request.json()
        self.tokens, self.rate = int(settings["tokens"]), float(settings.get("rate", 0))
        return web.json_response({"ok": True})

    async def _stats(self, _: web.Request) -> web.Response:
        return web.json_response({"runs": self.runs, "left_early": self.left_early})

    async def _run(self, request: web.Request) -> web.StreamResponse:
        try:
            body: dict[str, Any] = json.loads(await request.read())
        except ValueError:
            return web.json_response({"detail": "not JSON"}, status=400)
        self.runs += 1
        forwarded = body.get("forwardedProps") if isinstance(body.get("forwardedProps"), dict) else {}
        assert isinstance(forwarded, dict)
        tokens = int(forwarded.get("mockTokens", self.tokens))
        rate = float(forwarded.get("mockRate", self.rate))
        thread_id, run_id = str(body.get("threadId", "t")), str(body.get("runId", "r"))
        message_id = f"msg-{run_id}"
        response = web.StreamResponse(headers={"content-type": "text/event-stream", "cache-control": "no-cache"})
        await response.prepare(request)

        async def send(event: dict[str, Any]) -> None:
            await response.write(b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n")

        try:
            await send({"type": "RUN_STARTED", "threadId": thread_id, "runId": run_id})
            await send({"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": "assistant"})
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index in range(tokens):
                if rate > 0:
                    delay = start + index / rate - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await send({"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": word(index)})
            await send({"type": "TEXT_MESSAGE_END", "messageId": message_id})
            await send({"type": "RUN_FINISHED", "threadId": thread_id, "runId": run_id})
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            self.left_early += 1
            raise
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    async def serve() -> None:
        runner = web.AppRunner(MockAgent().app(), handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        print(f"mock agent listening on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
