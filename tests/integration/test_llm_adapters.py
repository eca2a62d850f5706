"""Both SDK adapters against their vendors' streaming wire format, through an injected httpx2 transport
(no sockets): request mapping, chunk-to-event mapping and error translation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI

from agui_runtime.adapters.outbound.llm.anthropic_chat import AnthropicChatModel
from agui_runtime.adapters.outbound.llm.openai_chat import OpenAIChatModel
from agui_runtime.application.errors import ConfigurationError, UpstreamError
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.events import RunEvent, TextMessageChunk
from agui_runtime.domain.messages import ActionExecutionMessage, ImageMessage, Message, ResultMessage, Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters, ToolDefinition

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "sk-very-secret"
Handler = Callable[[httpx2.Request], httpx2.Response]


def sse(*events: dict[str, Any], done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)
    return body + (b"data: [DONE]\n\n" if done else b"")


def anthropic_sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class Recorder:
    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        return self.responses.pop(0)


def openai_model(recorder: Handler, max_input_tokens: int = 128_000) -> OpenAIChatModel:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(recorder))
    client = AsyncOpenAI(api_key=KEY, base_url="http://llm.test/v1", http_client=http, max_retries=0)
    return OpenAIChatModel(client, "configured-model", max_input_tokens)


def anthropic_model(recorder: Handler) -> AnthropicChatModel:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(recorder))
    client = AsyncAnthropic(api_key=KEY, base_url="http://llm.test", http_client=http, max_retries=0)
    return AnthropicChatModel(client, "claude-configured", 128_000)


def text(message_id: str, content: str, role: Role = Role.USER) -> TextMessage:
    return TextMessage(id=message_id, created_at=T0, role=role, content=content)


def call(call_id: str, name: str = "lookup", **arguments: Any) -> ActionExecutionMessage:
    return ActionExecutionMessage(id=call_id, created_at=T0, name=name, arguments=arguments)


def answer(result_id: str, call_id: str, value: str) -> ResultMessage:
    return ResultMessage(id=result_id, created_at=T0, action_execution_id=call_id, action_name="lookup", result=value)


def request(*messages: Message, **options: Any) -> ChatRequest:
    return ChatRequest("t1", "r1", tuple(messages), **options)


async def collect(model: ChatModel, chat: ChatRequest) -> list[RunEvent]:
    return [event async for event in model.stream(chat)]


def chunk(delta: dict[str, Any], completion: str = "chatcmpl-9") -> dict[str, Any]:
    return {
        "id": completion,
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


async def test_openai_request_honours_forwarded_parameters_and_orders_tool_messages() -> None:
    recorder = Recorder(httpx2.Response(200, content=sse(chunk({"content": "ok"}))))
    model = openai_model(recorder)
    chat = request(
        text("s", "Be brief.", Role.SYSTEM),
        text("u1", "look twice"),
        call("c1", q="a"),
        call("c2", q="b"),
        answer("r2", "c2", "B"),  # results out of order, one repeated, one for an unknown call
        answer("r1", "c1", "A"),
        answer("r1-again", "c1", "A twice"),
        answer("r9", "nope", "orphan"),
        call("c3", q="never answered"),
        ImageMessage(id="img", created_at=T0, role=Role.USER, format="png", bytes="aGk="),
        tools=(ToolDefinition("lookup", "Look up", {"type": "object", "properties": {"q": {"type": "string"}}}),),
        parameters=ModelParameters(
            model="gpt-request",
            max_tokens=50,
            stop=("END",),
            tool_choice="function",
            tool_choice_function_name="lookup",
            temperature=0.0,
        ),
    )

    await collect(model, chat)

    body = recorder.bodies[0]
    assert body["model"] == "gpt-request"  # the client's model wins, unlike in the reference
    assert (body["max_completion_tokens"], body["stop"], body["temperature"]) == (50, ["END"], 0.0)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "look twice"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "a"}'}},
                {"id": "c2", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "b"}'}},
            ],
        },
        {"role": "tool", "content": "A", "tool_call_id": "c1"},
        {"role": "tool", "content": "B", "tool_call_id": "c2"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,aGk="}}]},
    ]


async def test_openai_streams_text_then_parallel_tool_calls_then_text() -> None:
    stream = sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Let me "}),
        chunk({"content": "check."}),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "call_a", "type": "function", "function": {"name": "lookup", "arguments": ""}}
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"q":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"a"}'}}]}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q":"b"}'},
                    }
                ]
            }
        ),
        chunk({"content": "Done."}),
    )
    events = await collect(openai_model(Recorder(httpx2.Response(200, content=stream))), request(text("u", "go")))
    assert [(type(e).__name__, *_fields(e)) for e in events] == [
        ("TextMessageStarted", "chatcmpl-9", None),
        ("TextMessageChunk", "chatcmpl-9", "Let me "),
        ("TextMessageChunk", "chatcmpl-9", "check."),
        ("TextMessageEnded", "chatcmpl-9"),
        ("ToolCallStarted", "call_a", "lookup", "chatcmpl-9"),
        ("ToolCallArgs", "call_a", '{"q":'),
        ("ToolCallArgs", "call_a", '"a"}'),
        ("ToolCallEnded", "call_a"),
        ("ToolCallStarted", "call_b", "lookup", "chatcmpl-9"),
        ("ToolCallArgs", "call_b", '{"q":"b"}'),
        ("ToolCallEnded", "call_b"),
        ("TextMessageStarted", "chatcmpl-9-2", None),
        ("TextMessageChunk", "chatcmpl-9-2", "Done."),
        ("TextMessageEnded", "chatcmpl-9-2"),
    ]


def _fields(event: RunEvent) -> tuple[Any, ...]:
    return tuple(getattr(event, name) for name in event.__slots__ if name != "role")


@pytest.mark.parametrize(
    ("status", "body", "code", "fragment"),
    [
        (
            401,
            {"error": {"message": f"Incorrect API key provided: {KEY}"}},
            "AUTHENTICATION_ERROR",
            "rejected the API key",
        ),
        (
            400,
            {"error": {"message": f"model not found (key {KEY})"}},
            "CONFIGURATION_ERROR",
            "HTTP 400: model not found (key ***)",
        ),
        (503, {"error": {"message": "overloaded"}}, "UPSTREAM_ERROR", "HTTP 503: overloaded"),
    ],
)
async def test_openai_errors_are_translated_without_the_key(
    status: int, body: dict[str, Any], code: str, fragment: str
) -> None:
    model = openai_model(Recorder(httpx2.Response(status, json=body)))
    with pytest.raises(UpstreamError) as caught:
        await collect(model, request(text("u", "hi")))
    assert caught.value.code == code
    assert fragment in caught.value.message
    assert KEY not in caught.value.message


async def test_openai_connection_failure_is_a_network_error() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused")

    with pytest.raises(UpstreamError) as caught:
        await collect(openai_model(refuse), request(text("u", "hi")))
    assert caught.value.code == "NETWORK_ERROR"
    assert "could not be reached" in caught.value.message


async def test_openai_stream_framing_comments_multiline_data_and_an_error_event() -> None:
    # Some compatible servers send comments (keep-alives) and split data over lines; both are valid SSE.
    body = (
        b": PROCESSING\n\n"
        + b"data: "
        + json.dumps(chunk({"content": "a"})).encode()
        + b"\n\n"
        + b'data: {"id": "chatcmpl-9", "choices":\ndata: [{"index": 0, "delta": {"content": "b"}}]}\n\n'
        + b"data: [DONE]\n\n"
    )
    events = await collect(openai_model(Recorder(httpx2.Response(200, content=body))), request(text("u", "hi")))
    assert [e.delta for e in events if isinstance(e, TextMessageChunk)] == ["a", "b"]

    failing = sse(chunk({"content": "a"}), {"error": {"message": f"overloaded mid-stream (key {KEY})"}}, done=False)
    with pytest.raises(UpstreamError) as caught:
        await collect(openai_model(Recorder(httpx2.Response(200, content=failing))), request(text("u", "hi")))
    assert caught.value.code == "UPSTREAM_ERROR"
    assert "failed while streaming: overloaded mid-stream" in caught.value.message
    assert KEY not in caught.value.message


async def test_openai_stream_is_read_to_its_end_after_done() -> None:
    # What follows [DONE] is read too (the SDK does the same), so the connection can be reused.
    read_to_end: list[bool] = []

    async def body() -> AsyncIterator[bytes]:
        yield sse(chunk({"content": "ok"}), done=False)
        yield b"data: [DONE]\n\n"
        yield b": trailing comment\n\n"
        read_to_end.append(True)

    recorder = Recorder(httpx2.Response(200, content=body()))
    events = await collect(openai_model(recorder), request(text("u", "hi")))
    assert [e.delta for e in events if isinstance(e, TextMessageChunk)] == ["ok"]
    assert read_to_end == [True]


async def test_trimming_keeps_system_messages_and_call_result_pairs() -> None:
    recorder = Recorder(httpx2.Response(200, content=sse(chunk({"content": "ok"}))))
    filler = "x" * 3000  # about 1,000 tokens each
    chat = request(
        text("s", "System rules.", Role.SYSTEM),
        text("old", filler),
        call("c1", q=filler),
        answer("r1", "c1", filler),
        text("new", "latest question"),
    )
    await collect(openai_model(recorder, max_input_tokens=2_500), chat)
    roles = [m["role"] for m in recorder.bodies[0]["messages"]]
    assert roles == ["system", "assistant", "tool", "user"]  # the oldest text went; the pair stayed whole

    with pytest.raises(ConfigurationError, match="AGUI_LLM_MAX_INPUT_TOKENS"):
        await collect(openai_model(recorder, max_input_tokens=1_000), request(text("s", "y" * 9000, Role.SYSTEM)))


async def test_anthropic_request_and_stream_mapping() -> None:
    stream = anthropic_sse(
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "m",
                "stop_reason": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}},
        },
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"q":"a"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    )
    recorder = Recorder(httpx2.Response(200, content=stream, headers={"content-type": "text/event-stream"}))
    chat = request(
        text("s", "Rules.", Role.SYSTEM),
        text("u1", "first"),
        text("u2", "second"),
        call("c1", q="x"),
        answer("r1", "c1", "X"),
        parameters=ModelParameters(temperature=0.0, tool_choice="function", tool_choice_function_name="lookup"),
    )
    events = await collect(anthropic_model(recorder), chat)
    body = recorder.bodies[0]
    assert "temperature" not in body
    assert (body["model"], body["max_tokens"], body["system"]) == (
        "claude-configured",
        4096,
        "Rules.",
    )
    assert body["tool_choice"] == {"type": "tool", "name": "lookup"}
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "c1", "name": "lookup", "input": {"q": "x"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "X"}]},
    ]
    assert [(type(e).__name__, *_fields(e)) for e in events] == [
        ("TextMessageStarted", "msg_1", None),
        ("TextMessageChunk", "msg_1", "Hi"),
        ("TextMessageEnded", "msg_1"),
        ("ToolCallStarted", "toolu_1", "lookup", "msg_1"),
        ("ToolCallArgs", "toolu_1", '{"q":"a"}'),
        ("ToolCallEnded", "toolu_1"),
    ]


async def test_anthropic_errors_are_translated() -> None:
    failure = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(UpstreamError) as caught:
        await collect(anthropic_model(Recorder(httpx2.Response(529, json=failure))), request(text("u", "hi")))
    assert (caught.value.code, caught.value.status) == ("UPSTREAM_ERROR", 529)
    assert "Anthropic answered HTTP 529: Overloaded" in caught.value.message
