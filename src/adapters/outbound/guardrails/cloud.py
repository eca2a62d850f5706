"""Guardrails by CopilotKit Cloud's validation service (`POST {base}/guardrails/validate`), the
reference runtime's protocol. It needs the request's `X-CopilotCloud-Public-API-Key` header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from agui_runtime.application.errors import GuardrailsUnavailable
from agui_runtime.application.ports import Guardrails
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict, verdict_from

KEY_HEADER = "X-CopilotCloud-Public-API-Key"


@asynccontextmanager
async def open_cloud_guardrails(base_url: str, timeout_seconds: float) -> AsyncIterator[CloudGuardrails]:
    async with httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_seconds) as client:
        yield CloudGuardrails(client)


class CloudGuardrails(Guardrails):
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def check(self, case: GuardrailsCase, request: RequestContext) -> GuardrailsVerdict:
        if not request.public_api_key:
            raise GuardrailsUnavailable(f"The cloud guardrails need the {KEY_HEADER} header on the request.")
        body = {
            "input": case.input,
            "validTopics": list(case.rules.allow),
            "invalidTopics": list(case.rules.deny),
            "messages": [{"role": role.value, "content": content} for role, content in case.history],
        }
        try:
            response = await self._client.post(
                "/guardrails/validate", json=body, headers={KEY_HEADER: request.public_api_key}
            )
        except httpx.HTTPError as exc:
            raise GuardrailsUnavailable(f"The guardrails service did not answer ({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise GuardrailsUnavailable(f"The guardrails service answered HTTP {response.status_code}.")
        try:
            reply = response.json()
        except ValueError:
            reply = None
        verdict = verdict_from(reply)
        if verdict is not None:
            return verdict
        raise GuardrailsUnavailable("The guardrails service answered without a verdict.")
