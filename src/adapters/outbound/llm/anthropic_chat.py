"""`ChatModel` for Anthropic's Messages API, on the official `anthropic` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import anthropic
from anthropic import AsyncAnthropic

from agui_runtime.adapters.outbound.llm.errors import connection_error, status_error
from agui_runtime.adapters.outbound.llm.history import ToolRound, Turn, prepare
from agui_runtime.adapters.outbound.llm.streaming import Patience, relay
from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.events import (
    ReasoningEncryptedValue,
    ReasoningEnded,
    ReasoningMessageChunk,
    ReasoningMessageEnded,
    ReasoningMessageStarted,
    ReasoningStarted,
    RunEvent,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallStarted,
)
from agui_runtime.domain.messages import ImageMessage, ReasoningMessage, Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition

VENDOR = "Anthropic"
DEFAULT_MAX_TOKENS = 4096
_TOOL_CHOICE = {"auto": {"type": "auto"}, "required": {"type": "any"}, "any": {"type": "any"}, "none": {"type": "none"}}
_FORCED = ("any", "tool")  # tool choices Anthropic refuses with thinking on
# A redacted thinking block is stored as a reasoning message with no content whose encrypted value is this
# prefix and the block's `data`; a signature is base64 and never holds a colon, so the two cannot be confused.
REDACTED_PREFIX = "redacted_thinking:"
# `reasoning_effort` to `output_config.effort`, which has no "minimal".
_EFFORT = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}


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
    thinking_budget_tokens: int | None = None,
    reasoning_effort: str | None = None,
) -> AsyncIterator[AnthropicChatModel]:
    """The model and its SDK client for the container's lifetime; the client closes with the app."""
    timeout = anthropic.Timeout(timeout_seconds, connect=connect_timeout_seconds)
    client = AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
    try:
        yield AnthropicChatModel(
            client,
            model,
            max_input_tokens,
            patience,
            defaults,
            thinking_budget_tokens=thinking_budget_tokens,
            reasoning_effort=reasoning_effort,
        )
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
        *,
        thinking_budget_tokens: int | None = None,
        reasoning_effort: str | None = None,
    ) -> None:
        self._client = client
        self._defaults = defaults or ModelParameters()
        self._patience = patience or Patience()
        self._model = model
        self._max_input_tokens = max_input_tokens
        self._thinking_budget = thinking_budget_tokens
        self._effort = _EFFORT.get(reasoning_effort or "")

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
        """The Messages request for `request`. With a thinking budget, thinking is on unless the request
        forces a tool (the suggestion engine does; Anthropic refuses both together), or a tool loop's last
        calls came without the thinking before them (trimmed, or another model's): Anthropic requires it
        back then. Signed reasoning goes back only when thinking is on."""
        given = request.parameters.over(self._defaults)
        parameters = _wire_parameters(given)
        thinking = self._thinking_budget is not None and parameters.get("tool_choice", {}).get("type") not in _FORCED
        turns = prepare(request.messages, request.tools, self._max_input_tokens, keep_signed_reasoning=thinking)
        messages = _wire_messages(turns)
        if thinking and not _thinking_leads_tool_loop(messages):
            thinking = False
            messages = _wire_messages([turn for turn in turns if not isinstance(turn, ReasoningMessage)])
        system = "\n\n".join(
            t.content for t in turns if isinstance(t, TextMessage) and t.role in (Role.SYSTEM, Role.DEVELOPER)
        )
        max_tokens = given.max_tokens or DEFAULT_MAX_TOKENS
        body: dict[str, Any] = {
            "model": given.model or self._model,
            "max_tokens": max_tokens,
            "messages": messages,
            "stream": True,
        }
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [_wire_tool(tool) for tool in request.tools]
        body |= parameters
        if thinking and self._thinking_budget is not None:
            body["thinking"] = {"type": "enabled", "budget_tokens": self._thinking_budget}
            if max_tokens <= self._thinking_budget:  # the budget is part of max_tokens and must be below it
                body["max_tokens"] = self._thinking_budget + DEFAULT_MAX_TOKENS
            # Anthropic rejects temperature and top_k with thinking on (and top_p below 0.95).
            for wire in (body, body.get("extra_body")):
                if isinstance(wire, dict):
                    for key in ("temperature", "top_k", "top_p"):
                        wire.pop(key, None)
        if self._effort is not None:
            body["output_config"] = {**body.get("output_config", {}), "effort": self._effort}
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


def _thinking_leads_tool_loop(messages: list[dict[str, Any]]) -> bool:
    """Whether the assistant turn under way (the messages after the last user message that is not only
    tool results) starts with thinking, or calls no tool: with thinking on Anthropic requires one or the other."""
    start = 0
    for index, message in enumerate(messages):
        if message["role"] == "user" and any(block["type"] != "tool_result" for block in message["content"]):
            start = index + 1
    turn = [message for message in messages[start:] if message["role"] == "assistant"]
    if not any(block["type"] == "tool_use" for message in turn for block in message["content"]):
        return True
    return turn[0]["content"][0]["type"] in ("thinking", "redacted_thinking")


def _wire_reasoning(message: ReasoningMessage) -> dict[str, Any]:
    value = message.encrypted_value or ""
    if value.startswith(REDACTED_PREFIX):
        return {"type": "redacted_thinking", "data": value.removeprefix(REDACTED_PREFIX)}
    return {"type": "thinking", "thinking": message.content, "signature": value}


def _wire_messages(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Anthropic takes system text apart and rejects two turns of the same role in a row or an empty
    text block: same-role turns are merged into one, empty texts left out. Thinking blocks (`prepare` keeps
    only those an assistant turn follows) open the assistant turn, in the order they came."""
    wire: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})

    def think(block: dict[str, Any]) -> None:
        if not wire or wire[-1]["role"] != "assistant":
            wire.append({"role": "assistant", "content": [block]})
            return
        content = wire[-1]["content"]
        at = next(
            (i for i, b in enumerate(content) if b["type"] not in ("thinking", "redacted_thinking")), len(content)
        )
        content.insert(at, block)

    for turn in turns:
        match turn:
            case ReasoningMessage():
                think(_wire_reasoning(turn))
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


@dataclass(slots=True)
class _Block:
    """A content block being streamed: its event id and, for thinking, the signature so far."""

    kind: Literal["text", "tool", "thinking"]
    id: str
    signature: str = ""


def _ended(block: _Block) -> list[RunEvent]:
    if block.kind == "tool":
        return [ToolCallEnded(block.id)]
    if block.kind == "text":
        return [TextMessageEnded(block.id)]
    # The encrypted value before the end: the message is stored once, with it.
    sealed: list[RunEvent] = [ReasoningEncryptedValue(block.id, block.signature)] if block.signature else []
    return [*sealed, ReasoningMessageEnded(block.id), ReasoningEnded(block.id)]


async def _events(stream: AsyncIterator[Any]) -> AsyncIterator[RunEvent]:
    """Stream events to run events. A thinking block is a reasoning phase of one reasoning message, its
    signature the message's encrypted value; a redacted one has no content and `REDACTED_PREFIX` + data."""
    message_id = ""
    texts = thoughts = 0
    open_blocks: dict[int, _Block] = {}
    async for event in stream:
        match event.type:
            case "message_start":
                message_id = event.message.id
            case "content_block_start":
                block = event.content_block
                if block.type == "text":
                    texts += 1
                    text_id = message_id if texts == 1 else f"{message_id}-{texts}"
                    open_blocks[event.index] = _Block("text", text_id)
                    yield TextMessageStarted(text_id, Role.ASSISTANT)
                    if block.text:
                        yield TextMessageChunk(text_id, block.text)
                elif block.type == "tool_use":
                    open_blocks[event.index] = _Block("tool", block.id)
                    yield ToolCallStarted(block.id, block.name, message_id)
                elif block.type in ("thinking", "redacted_thinking"):
                    thoughts += 1
                    reasoning_id = f"{message_id}-thinking-{thoughts}"
                    redacted = block.type == "redacted_thinking"
                    sealed = REDACTED_PREFIX + block.data if redacted else block.signature
                    open_blocks[event.index] = _Block("thinking", reasoning_id, sealed)
                    yield ReasoningStarted(reasoning_id)
                    yield ReasoningMessageStarted(reasoning_id)
                    if not redacted and block.thinking:
                        yield ReasoningMessageChunk(reasoning_id, block.thinking)
            case "content_block_delta":
                opened = open_blocks.get(event.index)
                if opened is None:
                    continue
                delta = event.delta
                if delta.type == "text_delta" and delta.text:
                    yield TextMessageChunk(opened.id, delta.text)
                elif delta.type == "input_json_delta" and delta.partial_json:
                    yield ToolCallArgs(opened.id, delta.partial_json)
                elif delta.type == "thinking_delta" and delta.thinking:
                    yield ReasoningMessageChunk(opened.id, delta.thinking)
                elif delta.type == "signature_delta" and opened.kind == "thinking":
                    opened.signature = delta.signature  # the whole signature, as the SDK's accumulator takes it
            case "content_block_stop":
                closed = open_blocks.pop(event.index, None)
                if closed is not None:
                    for ended in _ended(closed):
                        yield ended
            case _:
                pass
    for block in open_blocks.values():
        for ended in _ended(block):
            yield ended
