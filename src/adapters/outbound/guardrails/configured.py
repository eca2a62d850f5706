"""The guardrails adapter the settings name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from agui_runtime.adapters.outbound.guardrails.cloud import open_cloud_guardrails
from agui_runtime.adapters.outbound.guardrails.model import ModelGuardrails
from agui_runtime.application.ports import ChatModel, Guardrails


class GuardrailsSettings(Protocol):
    @property
    def guardrails(self) -> str: ...
    @property
    def guardrails_cloud_url(self) -> str: ...
    @property
    def guardrails_timeout_seconds(self) -> float: ...


@asynccontextmanager
async def open_guardrails(settings: GuardrailsSettings, chat_model: ChatModel | None) -> AsyncIterator[Guardrails]:
    """`cloud` holds an HTTP client to CopilotKit Cloud's service for the runtime's lifetime; anything else
    asks the chat model."""
    if settings.guardrails == "cloud":
        async with open_cloud_guardrails(settings.guardrails_cloud_url, settings.guardrails_timeout_seconds) as cloud:
            yield cloud
    else:
        yield ModelGuardrails(chat_model)
