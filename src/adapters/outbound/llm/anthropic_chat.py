"""`ChatModel` for Anthropic's Messages API, on the official `anthropic` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anthropic
from anthropic import AsyncAnthropic

from agui_runtime.adapters.outbound.llm.errors import connection_error, status_error
from agui_runtime.adapters.outbound.llm.history import ToolRound, Turn, prepare
from agui_runtime.adapters.outbound.llm.streaming import Patience, relay
from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.events import (
    RunEvent,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallStarted,
)
from agui_runtime.domain.messages import ImageMessage, Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition

VENDOR = "Anthropic"
DEFAULT_MAX_TOKENS = 4096
_TOOL_CHOICE = {"auto": {"type": "auto"}, "required": {"type": "any"}, "any": {"type": "any"}, "none": {"type": "none"}}


@asynccontextmanager
async def open_model(
    *,
    api_key: str,
    base_url: str | None,
    model: str,
    timeout_seconds: float,
    max_retries: int,
    max_input_tokens: int,
    connect_timeout_seconds: float = 10.0,
    patience: Patience | None = None,
    defaults: ModelParameters | None = None,
) -> AsyncIterator[AnthropicChatModel]:
    """The model and its SDK client for the container's lifetime; the client closes with the app."""
    timeout = anthropic.Timeout(timeout_seconds, connect=connect_timeout_seconds)
    client = AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
    try:
        yield AnthropicChatModel(client, model, max_input_tokens, patience, defaults)
    finally:
        await client.close()


class AnthropicChatModel(ChatModel):
    def __init__(
        self,
        client: AsyncAnthropic,
        model: str,
        max_input_tokens: int,
        patience: Patience | None = None,
        defaults: ModelParameters | None = None,
    ) -> None:
        self._client = client
        self._defaults = defaults or ModelParameters()
        self._patience = patience or Patience()
        self._model = model
        self._max_input_tokens = max_input_tokens

    async def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        params = self.request_body(request)
        async for event in relay(
            lambda: self._client.messages.create(**params), _events, self._translate, VENDOR, self._patience
        ):
            yield event

    def _translate(self, error: Exception) -> UpstreamError | None:
        if isinstance(error, anthropic.APIStatusError):
            return status_error(VENDOR, error.status_code, error.body, error.message, self._client.api_key)
        if isinstance(error, anthropic.APIConnectionError):
            timed_out = isinstance(error, anthropic.APITimeoutError)
            return connection_error(VENDOR, str(self._client.base_url), timed_out)
        return None

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        turns = prepare(request.messages, request.tools, self._max_input_tokens)
        system = "\n\n".join(
            t.content for t in turns if isinstance(t, TextMessage) and t.role in (Role.SYSTEM, Role.DEVELOPER)
        )
        parameters = request.parameters.over(self._defaults)
        body: dict[str, Any] = {
            "model": parameters.model or self._model,
            "max_tokens": parameters.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": _wire_messages(turns),
            "stream": True,
        }
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [_wire_tool(tool) for tool in request.tools]
        body |= _wire_parameters(parameters)
        return body


def _wire_tool(tool: ToolDefinition) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}


def _wire_parameters(parameters: ModelParameters) -> dict[str, Any]:
    """No sampling parameter is sent (temperature, top_p, top_k, penalties, seed): the Messages API of the
    anthropic 2.x SDK has none. The settings refuse them for this provider; a client's are left out."""
    wire: dict[str, Any] = {}
    if parameters.stop:
        wire["stop_sequences"] = list(parameters.stop)
    if parameters.tool_choice == "function" and parameters.tool_choice_function_name:
        wire["tool_choice"] = {"type": "tool", "name": parameters.tool_choice_function_name}
    elif parameters.tool_choice in _TOOL_CHOICE:
        wire["tool_choice"] = _TOOL_CHOICE[parameters.tool_choice]
    return wire


def _wire_messages(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Anthropic takes system text apart and rejects two turns of the same role in a row or an empty
    text block: same-role turns are merged into one, empty texts left out."""
    wire: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})

    for turn in turns:
        match turn:
            case TextMessage(role=role, content=content):
                if content and role not in (Role.SYSTEM, Role.DEVELOPER):
                    add("assistant" if role is Role.ASSISTANT else "user", [{"type": "text", "text": content}])
            case ImageMessage():
                source = {"type": "base64", "media_type": f"image/{turn.format}", "data": turn.bytes}
                add("user", [{"type": "image", "source": source}])
            case ToolRound(calls=calls, results=results):
                add(
                    "assistant", [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in calls]
                )
                add(
                    "user",
                    [
                        {"type": "tool_result", "tool_use_id": r.action_execution_id, "content": r.result}
                        for r in results
                    ],
                )
            case _:
                pass
    return wire


async def _events(stream: AsyncIterator[Any]) -> AsyncIterator[RunEvent]:
    message_id = ""
    texts = 0
    open_blocks: dict[int, tuple[str, bool]] = {}  # block index -> (id, is a tool call)
    async for event in stream:
        match event.type:
            case "message_start":
                message_id = event.message.id
            case "content_block_start":
                block = event.content_block
                if block.type == "text":
                    texts += 1
                    text_id = message_id if texts == 1 else f"{message_id}-{texts}"
                    open_blocks[event.index] = (text_id, False)
                    yield TextMessageStarted(text_id, Role.ASSISTANT)
                    if block.text:
                        yield TextMessageChunk(text_id, block.text)
                elif block.type == "tool_use":
                    open_blocks[event.index] = (block.id, True)
                    yield ToolCallStarted(block.id, block.name, message_id)
            case "content_block_delta":
                opened = open_blocks.get(event.index)
                if opened is None:
                    continue
                if event.delta.type == "text_delta" and event.delta.text:
                    yield TextMessageChunk(opened[0], event.delta.text)
                elif event.delta.type == "input_json_delta" and event.delta.partial_json:
                    yield ToolCallArgs(opened[0], event.delta.partial_json)
            case "content_block_stop":
                closed = open_blocks.pop(event.index, None)
                if closed is not None:
                    yield ToolCallEnded(closed[0]) if closed[1] else TextMessageEnded(closed[0])
            case _:
                pass
    for block_id, is_tool in open_blocks.values():
        yield ToolCallEnded(block_id) if is_tool else TextMessageEnded(block_id)
