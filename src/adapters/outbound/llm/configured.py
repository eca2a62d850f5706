"""The chat model the settings name, opened for the runtime's lifetime."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from agui_runtime.adapters.outbound.llm.streaming import Patience
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.tools import ModelParameters

# Each vendor's adapter is imported only when it is configured: the SDKs weigh 23 MB (openai) and 39 MB
# (anthropic) of resident memory per worker.
PROVIDERS = {
    "openai": "agui_runtime.adapters.outbound.llm.openai_chat",
    "anthropic": "agui_runtime.adapters.outbound.llm.anthropic_chat",
}


class ChatModelSettings(Protocol):
    """The settings a chat model is opened with (the runtime's `Settings` has them)."""

    @property
    def llm_provider(self) -> str | None: ...
    @property
    def llm_model(self) -> str | None: ...
    @property
    def llm_base_url(self) -> str | None: ...
    @property
    def llm_timeout_seconds(self) -> float: ...
    @property
    def llm_max_retries(self) -> int: ...
    @property
    def llm_max_input_tokens(self) -> int: ...
    @property
    def llm_connect_timeout_seconds(self) -> float: ...
    @property
    def llm_first_token_timeout_seconds(self) -> float: ...
    @property
    def llm_idle_timeout_seconds(self) -> float: ...
    @property
    def llm_max_output_tokens(self) -> int | None: ...
    @property
    def llm_temperature(self) -> float | None: ...
    @property
    def llm_top_p(self) -> float | None: ...
    @property
    def llm_top_k(self) -> int | None: ...
    @property
    def llm_presence_penalty(self) -> float | None: ...
    @property
    def llm_frequency_penalty(self) -> float | None: ...
    @property
    def llm_seed(self) -> int | None: ...
    @property
    def llm_stop_sequences(self) -> Sequence[str]: ...
    @property
    def llm_thinking_budget_tokens(self) -> int | None: ...
    @property
    def llm_reasoning_effort(self) -> str | None: ...
    def llm_key(self) -> str | None: ...


class ModelOpener(Protocol):
    """`open_model` of a chat-model adapter module."""

    def __call__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float,
        max_retries: int,
        max_input_tokens: int,
        connect_timeout_seconds: float,
        patience: Patience,
        defaults: ModelParameters,
        thinking_budget_tokens: int | None = None,
        reasoning_effort: str | None = None,
    ) -> AbstractAsyncContextManager[ChatModel]: ...


@asynccontextmanager
async def open_chat_model(settings: ChatModelSettings) -> AsyncIterator[ChatModel | None]:
    """The provider's chat model (its SDK client closes on exit), or None when no provider is configured."""
    adapter = PROVIDERS.get(settings.llm_provider or "")
    if adapter is None or settings.llm_model is None:
        yield None
        return
    opener: ModelOpener = importlib.import_module(adapter).open_model
    async with opener(
        api_key=settings.llm_key() or "",
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        max_input_tokens=settings.llm_max_input_tokens,
        connect_timeout_seconds=settings.llm_connect_timeout_seconds,
        patience=Patience(settings.llm_first_token_timeout_seconds, settings.llm_idle_timeout_seconds),
        defaults=model_defaults(settings),
        thinking_budget_tokens=settings.llm_thinking_budget_tokens,
        reasoning_effort=settings.llm_reasoning_effort,
    ) as model:
        yield model


def model_defaults(settings: ChatModelSettings) -> ModelParameters:
    """The configured sampling: what every call uses unless its request sets a value over it."""
    return ModelParameters(
        max_tokens=settings.llm_max_output_tokens,
        stop=tuple(settings.llm_stop_sequences),
        temperature=settings.llm_temperature,
        top_p=settings.llm_top_p,
        top_k=settings.llm_top_k,
        presence_penalty=settings.llm_presence_penalty,
        frequency_penalty=settings.llm_frequency_penalty,
        seed=settings.llm_seed,
    )
