"""One legacy endpoint over HTTP: `/info` discovery cached for a while (a failure for a shorter while),
`/actions/execute`, `/agents/state` and the JSON lines of `/agents/execute`, every call retried with
backoff on the statuses and network errors a restarting server gives."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from agui_runtime.adapters.outbound.agents.configured import AgentSource, AguiAgent
from agui_runtime.adapters.outbound.agents.copilotkit_remote.run import RemoteAgent
from agui_runtime.adapters.outbound.agents.copilotkit_remote.wire import (
    RemoteInfo,
    read_action_result,
    read_info,
    read_state,
)
from agui_runtime.application.errors import ApplicationError, UpstreamError, UpstreamUnavailable
from agui_runtime.application.ports import ActionRegistry, ExternalAgentState
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition

logger = logging.getLogger("agui_runtime.agents")

_RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
_FAILURE_TTL_SECONDS = 10.0


class RemoteEndpoint(AgentSource, ActionRegistry):
    """One endpoint base URL. `sleep` is injectable so tests of the backoff do not wait."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        label: str = "remote",
        ttl_seconds: float = 60.0,
        retries: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.label = label  # its name in the settings: errors name it, the URL stays in the server log
        self._client = client
        self._ttl = ttl_seconds
        self._retries = retries
        self._sleep = sleep
        self._cached: tuple[float, RemoteInfo] | None = None
        self._failed: tuple[float, ApplicationError] | None = None
        self._lock = asyncio.Lock()

    async def info(self) -> RemoteInfo:
        """The endpoint's agents, from the cache while it is fresh."""
        async with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._ttl:
                return self._cached[1]
            if self._failed is not None and now - self._failed[0] < _FAILURE_TTL_SECONDS:
                raise self._failed[1]  # an endpoint that is down is not asked again by every request
            try:
                reply = await self._post_json("/info", {"properties": {}})
            except ApplicationError as error:
                self._failed = (time.monotonic(), error)
                raise
            info = read_info(reply)
            self._cached = (time.monotonic(), info)
            return info

    async def definitions(self) -> Sequence[ToolDefinition]:
        return (await self.info()).actions

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        """Run one of the endpoint's actions; its failures come back as the usual error envelope."""
        body = {"name": name, "arguments": arguments, "properties": request.properties}
        try:
            reply = await self._post_json("/actions/execute", body, request.headers, idempotent=False)
        except ApplicationError as error:
            return ActionOutcome(error_code="HANDLER_ERROR", error_message=error.message)
        return read_action_result(reply)

    async def agents(self) -> Sequence[tuple[AgentDescriptor, AguiAgent]]:
        return [(descriptor, RemoteAgent(self, descriptor.name)) for descriptor in (await self.info()).agents]

    async def external_state(self, agent_name: str, thread_id: str, request: RequestContext) -> ExternalAgentState:
        body = {"properties": request.properties, "threadId": thread_id, "name": agent_name}
        reply = await self._post_json("/agents/state", body, request.headers)
        if not isinstance(reply, dict):
            raise UpstreamError(f"The CopilotKit endpoint '{self.label}' answered /agents/state without an object.")
        return read_state(reply)

    async def _send(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None, *, idempotent: bool = True
    ) -> httpx.Response:
        """POST with retries: 408, 429 and 5xx gateway statuses and network errors, backing off 1 s, 2 s,
        4 s (at most 5 s). A call that is not idempotent (running an agent or an action) is retried only
        when it never reached the endpoint (the connection failed)."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                request = self._client.build_request("POST", self.url + path, json=body, headers=headers)
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                logger.warning("CopilotKit endpoint %s at %s%s: %s", self.label, self.url, path, type(exc).__name__)
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if last or not (idempotent or unsent):
                    raise UpstreamUnavailable(
                        f"The CopilotKit endpoint '{self.label}' could not be reached ({type(exc).__name__})."
                    ) from exc
            else:
                if response.status_code not in _RETRY_STATUSES or last or not idempotent:
                    return response
                await response.aclose()
            await self._sleep(min(5.0, 2.0**attempt))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    async def _post_json(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None, *, idempotent: bool = True
    ) -> Any:
        response = await self._send(path, body, headers, idempotent=idempotent)
        try:
            await response.aread()
        finally:
            await response.aclose()
        if response.status_code >= 400:
            raise UpstreamError(
                f"The CopilotKit endpoint '{self.label}' answered HTTP {response.status_code} to {path}.",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamError(
                f"The CopilotKit endpoint '{self.label}' answered {path} with something not JSON."
            ) from exc

    async def run_agent(self, body: dict[str, Any], headers: Mapping[str, str]) -> AsyncIterator[JsonObject]:
        """The JSON lines of `/agents/execute`."""
        response = await self._send("/agents/execute", body, headers, idempotent=False)
        try:
            if response.status_code >= 400:
                raise UpstreamError(
                    f"The CopilotKit endpoint '{self.label}' answered HTTP {response.status_code} to /agents/execute.",
                    status=response.status_code,
                )
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError as exc:
                    raise UpstreamError(
                        f"The CopilotKit endpoint '{self.label}' sent a line that is not JSON."
                    ) from exc
                if isinstance(event, dict):
                    yield event
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                f"The CopilotKit endpoint '{self.label}' broke off the agent's stream ({type(exc).__name__})."
            ) from exc
        finally:
            await response.aclose()
