"""`ChatModel` for OpenAI and every OpenAI-compatible server (Azure OpenAI, Groq, Ollama, vLLM, LiteLLM),
on the official `openai` SDK's streaming chat completions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import openai
import orjson
from openai import AsyncAPIResponse, AsyncOpenAI

from agui_runtime.adapters.outbound.llm.errors import connection_error, status_error, stream_error
from agui_runtime.adapters.outbound.llm.history import ToolRound, Turn, prepare
from agui_runtime.adapters.outbound.llm.streaming import Patience, relay
from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
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
from agui_runtime.domain.messages import ImageMessage, Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition

VENDOR = "The OpenAI-compatible API"


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
) -> AsyncIterator[OpenAIChatModel]:
    """The model and its SDK client for the container's lifetime; the client closes with the app.
    `thinking_budget_tokens` is Anthropic's: chat completions have no such parameter."""
    timeout = openai.Timeout(timeout_seconds, connect=connect_timeout_seconds)
    client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
    try:
        yield OpenAIChatModel(client, model, max_input_tokens, patience, defaults, reasoning_effort)
    finally:
        await client.close()


class OpenAIChatModel(ChatModel):
    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        max_input_tokens: int,
        patience: Patience | None = None,
        defaults: ModelParameters | None = None,
        reasoning_effort: str | None = None,
    ) -> None:
        self._client = client
        self._defaults = defaults or ModelParameters()
        self._patience = patience or Patience()
        self._model = model
        self._max_input_tokens = max_input_tokens
        self._reasoning_effort = reasoning_effort

    async def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        params = self.request_body(request)

        async def open_completion() -> _Completion:
            # The body goes out as built (`extra_body` is sent as it is): the SDK's typed transform of the
            # declared parameters walks every message and tool schema, which cost more than the rest of a
            # short request's work here. `messages` is required by the signature and replaced by the body's.
            create = self._client.chat.completions.with_streaming_response.create
            return await _Completion(create(model=params["model"], messages=[], stream=True, extra_body=params)).open()

        async for event in relay(open_completion, _events, self._translate, VENDOR, self._patience):
            yield event

    def _translate(self, error: Exception) -> UpstreamError | None:
        if isinstance(error, _Truncated):
            return UpstreamError(
                f"{VENDOR} ended its answer early: the stream stopped without a finish reason or [DONE].",
                code=ErrorCode.UPSTREAM_ERROR,
            )
        if isinstance(error, _StreamError):
            return stream_error(VENDOR, error.body, self._client.api_key)
        if isinstance(error, openai.APIStatusError):
            return status_error(VENDOR, error.status_code, error.body, error.message, self._client.api_key)
        if isinstance(error, openai.APIConnectionError):
            timed_out = isinstance(error, openai.APITimeoutError)
            return connection_error(VENDOR, str(self._client.base_url), timed_out)
        return None

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The chat-completions request for `request` (kept public: it is the adapter's wire contract)."""
        parameters = request.parameters.over(self._defaults)
        body: dict[str, Any] = {
            "model": parameters.model or self._model,
            "messages": _wire_messages(prepare(request.messages, request.tools, self._max_input_tokens)),
            "stream": True,
        }
        if request.tools:
            body["tools"] = [_wire_tool(tool) for tool in request.tools]
        body |= _wire_parameters(parameters)
        if self._reasoning_effort is not None:
            body["reasoning_effort"] = self._reasoning_effort
        return body


def _wire_tool(tool: ToolDefinition) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


def _wire_parameters(parameters: ModelParameters) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    if parameters.max_tokens:
        wire["max_completion_tokens"] = parameters.max_tokens
    if parameters.stop:
        wire["stop"] = list(parameters.stop)
    if parameters.tool_choice == "function" and parameters.tool_choice_function_name:
        wire["tool_choice"] = {"type": "function", "function": {"name": parameters.tool_choice_function_name}}
    elif parameters.tool_choice:
        wire["tool_choice"] = parameters.tool_choice
    # 0 is a value here, unlike in the reference. `top_k` is not OpenAI's own, but vLLM, SGLang, Ollama and
    # LiteLLM take it; it is sent only when set.
    sampling = {
        "temperature": parameters.temperature,
        "top_p": parameters.top_p,
        "top_k": parameters.top_k,
        "presence_penalty": parameters.presence_penalty,
        "frequency_penalty": parameters.frequency_penalty,
        "seed": parameters.seed,
    }
    wire |= {name: value for name, value in sampling.items() if value is not None}
    return wire


def _wire_messages(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for turn in turns:
        match turn:
            case TextMessage(role=role, content=content):
                # A `tool` role needs a tool_call_id; free text in that role is the user's to the model.
                wire.append({"role": "user" if role is Role.TOOL else role.value, "content": content})
            case ImageMessage():
                url = f"data:image/{turn.format};base64,{turn.bytes}"
                wire.append({"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]})
            case ToolRound(calls=calls, results=results):
                tool_calls = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in calls
                ]
                previous = wire[-1] if wire else None
                if previous and previous["role"] == "assistant" and "tool_calls" not in previous:
                    previous["tool_calls"] = tool_calls  # the text the calls were made with, as one turn
                else:
                    wire.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
                wire.extend(
                    {"role": "tool", "content": r.result, "tool_call_id": r.action_execution_id} for r in results
                )
            case _:
                pass
    return wire


class _StreamError(Exception):
    """An `error` object the server sent inside the stream (after HTTP 200)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("error event in the completion stream")
        self.body = body


class _Truncated(Exception):
    """The stream ended before the server said the answer was complete."""


class _Completion:
    """One streamed completion as plain JSON chunks. The SDK sends the request (retries, status errors,
    timeouts) and hands over the response; the chunks are read here as plain JSON, because building
    the SDK's typed chunk for every token costs more than everything else the runtime does with it."""

    def __init__(self, manager: AbstractAsyncContextManager[AsyncAPIResponse[Any]]) -> None:
        self._manager = manager
        self._response: AsyncAPIResponse[Any] | None = None

    async def open(self) -> _Completion:
        self._response = await self._manager.__aenter__()
        return self

    async def close(self) -> None:
        await self._manager.__aexit__(None, None, None)

    async def chunks(self) -> AsyncIterator[dict[str, Any]]:
        """Server-sent events: `data:` lines up to a blank line are one event; `[DONE]` ends the stream."""
        assert self._response is not None
        data: list[str] = []
        done = finished = False
        async for line in self._response.iter_lines():
            if done:
                # Read the body to its end, as the SDK's own stream does: a response closed unread costs
                # its keep-alive connection, and every chat would open a new one.
                continue
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
                continue
            if line or not data:
                continue  # another field (event, id, a comment), or a blank line with nothing pending
            payload = "\n".join(data)
            data.clear()
            if payload.startswith("[DONE]"):
                done = True
                continue
            chunk = orjson.loads(payload)  # invalid JSON raises a ValueError, as `json.loads` does
            if isinstance(chunk, dict):
                if chunk.get("error"):
                    raise _StreamError(chunk)
                choices = chunk.get("choices")
                if isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
                    finished = True  # some compatible servers send no [DONE] after it
                yield chunk
        if not done and not finished:
            raise _Truncated()


async def _events(completion: _Completion) -> AsyncIterator[RunEvent]:
    """Chunks to events. A new tool-call id (or index) ends the previous call; text after a call starts a
    new text message with its own id, so no id is used twice. Reasoning deltas (`reasoning_content`:
    DeepSeek, vLLM, SGLang; `reasoning`: OpenRouter) are a reasoning message, ended by what follows it."""
    text_id: str | None = None
    reasoning_id: str | None = None
    reasonings = 0
    texts = 0
    call_id: str | None = None
    call_index: int | None = None
    parent: str | None = None
    async for chunk in completion.chunks():
        choices = chunk.get("choices")
        if not choices:
            continue
        delta = choices[0].get("delta") or {}
        completion_id = str(chunk.get("id") or "chatcmpl")
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(thought, str) and thought:
            if reasoning_id is None:
                reasonings += 1
                reasoning_id = f"{completion_id}-reasoning-{reasonings}"
                yield ReasoningStarted(reasoning_id)
                yield ReasoningMessageStarted(reasoning_id)
            yield ReasoningMessageChunk(reasoning_id, thought)
        if reasoning_id is not None and (delta.get("content") or delta.get("tool_calls")):
            yield ReasoningMessageEnded(reasoning_id)
            yield ReasoningEnded(reasoning_id)
            reasoning_id = None
        for call in delta.get("tool_calls") or ():
            function = call.get("function") or {}
            index, given_id = call.get("index"), call.get("id")
            if given_id is not None or index != call_index:
                if text_id is not None:
                    yield TextMessageEnded(text_id)
                    text_id = None
                if call_id is not None:
                    yield ToolCallEnded(call_id)
                call_index = index
                call_id = given_id or f"{completion_id}-call-{index}"
                yield ToolCallStarted(call_id, function.get("name") or "", parent or completion_id)
            if function.get("arguments") and call_id is not None:
                yield ToolCallArgs(call_id, function["arguments"])
        content = delta.get("content")
        if content:
            if call_id is not None:
                yield ToolCallEnded(call_id)
                call_id = call_index = None
            if text_id is None:
                texts += 1
                text_id = completion_id if texts == 1 else f"{completion_id}-{texts}"
                parent = text_id
                yield TextMessageStarted(text_id, Role.ASSISTANT)
            yield TextMessageChunk(text_id, content)
    if reasoning_id is not None:
        yield ReasoningMessageEnded(reasoning_id)
        yield ReasoningEnded(reasoning_id)
    if text_id is not None:
        yield TextMessageEnded(text_id)
    if call_id is not None:
        yield ToolCallEnded(call_id)
