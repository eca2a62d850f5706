"""An AG-UI agent over HTTP: `RunAgentInput` POSTed as JSON, AG-UI events back as server-sent events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse
from pydantic import ValidationError

from agui_runtime.adapters.agui_wire import EVENT_ADAPTER, AgentProtocolError, run_agent_input
from agui_runtime.adapters.outbound.agents.configured import AguiAgent
from agui_runtime.application.errors import UpstreamError, UpstreamUnavailable
from agui_runtime.application.ports import AgentRunRequest

logger = logging.getLogger("agui_runtime.agents")


class HttpAgent(AguiAgent):
    def __init__(
        self, name: str, url: str, client: httpx.AsyncClient, headers: Mapping[str, str] | None = None
    ) -> None:
        self._name = name
        self._headers = dict(headers or {})
        self._url = url
        self._client = client

    async def events(self, request: AgentRunRequest) -> AsyncIterator[Any]:
        run_input = run_agent_input(request)
        body = run_input.model_dump(mode="json", by_alias=True)
        # the allowlisted request headers, under the agent's own (its key wins over a forwarded one)
        headers = {**request.request.headers, **self._headers, "accept": "text/event-stream"}
        try:
            async with aconnect_sse(self._client, "POST", self._url, json=body, headers=headers) as source:
                status = source.response.status_code
                if status >= 400:
                    raise UpstreamError(f"Agent '{self._name}' answered HTTP {status}.", status=status)
                async for message in source.aiter_sse():
                    if not message.data.strip():
                        continue
                    try:
                        yield EVENT_ADAPTER.validate_json(message.data)
                    except ValidationError as exc:
                        kind = exc.errors()[0]["msg"] if exc.errors() else "invalid"
                        raise AgentProtocolError(self._name, f"an event that is not AG-UI ({kind})") from exc
        except SSEError as exc:
            raise AgentProtocolError(self._name, "a response that is not an event stream") from exc
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(
                f"Agent '{self._name}' did not answer in time (AGUI_AGENT_TIMEOUT_SECONDS)."
            ) from exc
        except httpx.HTTPError as exc:
            # The URL stays in the server log: it may name internal hosts or carry credentials.
            logger.warning("agent %s at %s: %s", self._name, self._url, type(exc).__name__)
            raise UpstreamUnavailable(f"Agent '{self._name}' could not be reached ({type(exc).__name__}).") from exc
