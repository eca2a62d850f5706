"""A fault-injecting HTTP proxy on loopback, between the runtime and its upstreams (the mock LLM, the mock
agent). It forwards each request to the upstream whose path prefix matches and passes the reply through,
server-sent event by event, unless a fault was armed for it:

    POST /__fault {"mode": M, "tag": "rel-...", ...}     the request whose body contains that tag
    POST /__fault {"mode": M, "count": N, "target": T}    the next N requests to target T (any target if unset)

Modes: `status` (answer `status`, 500 by default, without calling the upstream), `reset` (after `after`
events, a TCP reset), `truncate` (after `after` events, end the body cleanly), `bad_json` (after `after`
events, one `data: {not json` event, then the rest), `inject` (after `after` events, the event `data`
given as `payload`, then end), `hang` (never answer the headers), `stall` (after `after` events, send
nothing more). A hang or stall lasts `hold` seconds (60) or until the runtime gives up.

`GET /__stats?since=ID` counts requests per target, streams open on either side and streams the runtime
closed early, and lists each request after ID: its tag, mode, and `time.monotonic()` stamps (one clock for
every process on the machine), so the suite can tell when the runtime closed each upstream request.
Handlers are cancelled when the runtime's connection closes, which stamps the close as it happens.

    python -m bench.reliability.faults --route llm:/v1=http://127.0.0.1:8100 --route agent:/agent=http://127.0.0.1:8200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TAG = re.compile(rb"rel-[0-9a-f]{12}")
MODES = ("status", "reset", "truncate", "bad_json", "inject", "hang", "stall")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
}


@dataclass
class Fault:
    mode: str
    after: int = 3
    status: int = 500
    payload: dict[str, Any] | None = None
    hold: float = 60.0


@dataclass
class Armed:
    fault: Fault
    remaining: int
    target: str | None


@dataclass
class Record:
    id: int
    target: str
    path: str
    tag: str | None
    mode: str
    started: float
    headers_sent: float | None = None
    ended: float | None = None
    # open | complete | client_closed (the runtime closed it before the end) | fault | upstream_error
    outcome: str = "open"
    events: int = 0


@dataclass
class Route:
    prefix: str
    upstream: str
    target: str


@dataclass
class Proxy:
    routes: list[Route]
    armed: list[Armed] = field(default_factory=list)
    tagged: dict[str, Fault] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    open_downstream: int = 0
    open_upstream: int = 0
    closed_early: int = 0
    client: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/__fault", self._arm)
        app.router.add_get("/__stats", self._stats)
        app.router.add_post("/__reset", self._reset)
        app.router.add_route("*", "/{tail:.*}", self._proxy)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, _: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
        self.client = aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False)

    async def _close(self, _: web.Application) -> None:
        if self.client is not None:
            await self.client.close()

    # -- control --------------------------------------------------------------------------------------

    async def _arm(self, request: web.Request) -> web.Response:
        spec: dict[str, Any] = await request.json()
        mode = spec.get("mode")
        if mode not in MODES:
            return web.json_response({"error": f"mode must be one of {', '.join(MODES)}"}, status=400)
        fault = Fault(
            mode=mode,
            after=int(spec.get("after", 3)),
            status=int(spec.get("status", 500)),
            payload=spec.get("payload"),
            hold=float(spec.get("hold", 60.0)),
        )
        if spec.get("tag"):
            self.tagged[str(spec["tag"])] = fault
        else:
            self.armed.append(Armed(fault, int(spec.get("count", 1)), spec.get("target")))
        return web.json_response({"ok": True})

    async def _stats(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "-1"))
        body = {
            "requests": self.requests,
            "open_downstream": self.open_downstream,
            "open_upstream": self.open_upstream,
            "closed_early": self.closed_early,
            "last_id": len(self.records) - 1,
            "records": [asdict(record) for record in self.records[since + 1 :]],
        }
        return web.json_response(body)

    async def _reset(self, _: web.Request) -> web.Response:
        self.armed.clear()
        self.tagged.clear()
        return web.json_response({"ok": True})

    def _take(self, target: str, tag: str | None) -> Fault | None:
        if tag is not None and tag in self.tagged:
            return self.tagged.pop(tag)
        for armed in self.armed:
            if armed.target in (None, target):
                armed.remaining -= 1
                if armed.remaining <= 0:
                    self.armed.remove(armed)
                return armed.fault
        return None

    # -- proxying -------------------------------------------------------------------------------------

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        route = next((r for r in self.routes if request.path.startswith(r.prefix)), None)
        if route is None:
            return web.json_response({"error": "no upstream for this path"}, status=404)
        body = await request.read()
        found = TAG.search(body)
        tag = found.group().decode() if found else None
        fault = self._take(route.target, tag)
        record = Record(
            len(self.records), route.target, request.path, tag, fault.mode if fault else "pass", time.monotonic()
        )
        self.records.append(record)
        self.requests[route.target] = self.requests.get(route.target, 0) + 1
        self.open_downstream += 1
        try:
            return await self._answer(request, route, body, fault, record)
        except asyncio.CancelledError:
            # The runtime closed its connection: this is the moment it gave the request up.
            record.outcome = "client_closed"
            self.closed_early += 1
            raise
        finally:
            record.ended = time.monotonic()
            self.open_downstream -= 1

    async def _answer(
        self, request: web.Request, route: Route, body: bytes, fault: Fault | None, record: Record
    ) -> web.StreamResponse:
        if fault is not None and fault.mode == "status":
            record.outcome = "fault"
            error = {"error": {"message": "injected failure", "type": "server_error", "code": None}}
            return web.json_response(error, status=fault.status)
        if fault is not None and fault.mode == "hang":
            await asyncio.sleep(fault.hold)
            record.outcome = "fault"
            return web.json_response({"error": {"message": "hung"}}, status=504)
        assert self.client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream_url = route.upstream + request.path_qs
        try:
            upstream = await self.client.request(request.method, upstream_url, data=body, headers=headers)
        except aiohttp.ClientError:
            record.outcome = "upstream_error"
            return web.json_response({"error": {"message": "upstream unreachable"}}, status=502)
        self.open_upstream += 1
        try:
            return await self._relay(request, upstream, fault, record)
        finally:
            upstream.close()
            self.open_upstream -= 1

    async def _relay(
        self, request: web.Request, upstream: aiohttp.ClientResponse, fault: Fault | None, record: Record
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=upstream.status)
        for name in ("content-type", "cache-control"):
            if name in upstream.headers:
                response.headers[name] = upstream.headers[name]
        await response.prepare(request)
        record.headers_sent = time.monotonic()
        buffer = b""
        try:
            async for chunk in upstream.content.iter_any():
                buffer += chunk
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    if fault is not None and record.events == fault.after:
                        ended = await self._fault(request, response, fault, record)
                        fault = None
                        if ended:
                            return response
                    await response.write(event + b"\n\n")
                    record.events += 1
            if buffer:
                await response.write(buffer)
            await response.write_eof()
        except aiohttp.ClientPayloadError:
            record.outcome = "upstream_error"
            return response
        except ConnectionResetError:  # a write found the runtime gone before the cancellation did
            record.outcome = "client_closed"
            self.closed_early += 1
            return response
        record.outcome = "complete"
        return response

    async def _fault(self, request: web.Request, response: web.StreamResponse, fault: Fault, record: Record) -> bool:
        """Apply `fault` at this point of the stream; True when the response is over."""
        record.outcome = "fault"
        if fault.mode == "reset":
            transport = request.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            return True
        if fault.mode == "truncate":
            await response.write_eof()
            return True
        if fault.mode == "bad_json":
            await response.write(b'data: {"not json\n\n')
            record.outcome = "open"
            return False
        if fault.mode == "inject":
            await response.write(b"data: " + json.dumps(fault.payload).encode() + b"\n\n")
            await response.write_eof()
            return True
        if fault.mode == "stall":
            await asyncio.sleep(fault.hold)
            return False
        return False


async def serve(routes: list[Route], port: int) -> None:
    proxy = Proxy(routes)
    # handler_cancellation: a handler is cancelled as soon as its client's connection closes.
    runner = web.AppRunner(proxy.app(), handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"fault proxy listening on http://127.0.0.1:{bound}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--route", action="append", default=[], help="TARGET:PREFIX=UPSTREAM, e.g. llm:/v1=http://...")
    args = parser.parse_args()
    routes = []
    for spec in args.route:
        named, upstream = spec.split("=", 1)
        target, prefix = named.split(":", 1)
        routes.append(Route(prefix, upstream.rstrip("/"), target))
    try:
        asyncio.run(serve(routes, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
