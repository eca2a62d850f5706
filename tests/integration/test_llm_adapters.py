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
from agui_runtime.adapters.outbound.llm.configured import open_chat_model
from agui_runtime.adapters.outbound.llm.openai_chat import OpenAIChatModel
from agui_runtime.adapters.settings.settings import SettingsError, load_settings
from agui_runtime.application.errors import ConfigurationError, UpstreamError
from agui_runtime.application.ports import ChatModel
from agui_runtime.domain.events import RunEvent, TextMessageChunk
from agui_runtime.domain.messages import (
    ActionExecutionMessage,
    ImageMessage,
    Message,
    ReasoningMessage,
    ResultMessage,
    Role,
    TextMessage,
)
from agui_runtime.domain.run import Run
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


def openai_model(recorder: Handler, max_input_tokens: int = 128_000, **options: Any) -> OpenAIChatModel:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(recorder))
    client = AsyncOpenAI(api_key=KEY, base_url="http://llm.test/v1", http_client=http, max_retries=0)
    return OpenAIChatModel(client, "configured-model", max_input_tokens, **options)


def anthropic_model(recorder: Handler, max_input_tokens: int = 128_000, **options: Any) -> AnthropicChatModel:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(recorder))
    client = AsyncAnthropic(api_key=KEY, base_url="http://llm.test", http_client=http, max_retries=0)
    return AnthropicChatModel(client, "claude-configured", max_input_tokens, **options)


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


def anthropic_start(message_id: str) -> dict[str, Any]:
    message = {"id": message_id, "type": "message", "role": "assistant", "content": [], "model": "m"}
    return {"type": "message_start", "message": {**message, "stop_reason": None, "usage": {"input_tokens": 1}}}


def anthropic_reply(*events: dict[str, Any]) -> httpx2.Response:
    end: list[dict[str, Any]] = [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]
    content = anthropic_sse(anthropic_start("msg_7"), *events, *end)
    return httpx2.Response(200, content=content, headers={"content-type": "text/event-stream"})


def thought(message_id: str, content: str, signature: str | None) -> ReasoningMessage:
    return ReasoningMessage(id=message_id, created_at=T0, content=content, encrypted_value=signature)


async def test_anthropic_thinking_blocks_become_reasoning_messages_sealed_before_they_end() -> None:
    recorder = Recorder(
        anthropic_reply(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Weigh "}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "it."}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}},
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "ZW5j"}},
            {"type": "content_block_stop", "index": 1},
            {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "Left."}},
            {"type": "content_block_stop", "index": 2},
        )
    )
    model = anthropic_model(recorder, thinking_budget_tokens=2048)

    events = await collect(model, request(text("u", "which way?")))

    first, second = "msg_7-thinking-1", "msg_7-thinking-2"
    assert [(type(e).__name__, *_fields(e)) for e in events] == [
        ("ReasoningStarted", first, None),
        ("ReasoningMessageStarted", first, None),
        ("ReasoningMessageChunk", first, "Weigh ", None),
        ("ReasoningMessageChunk", first, "it.", None),
        ("ReasoningEncryptedValue", first, "c2ln", "message", None),
        ("ReasoningMessageEnded", first, None),
        ("ReasoningEnded", first, None),
        ("ReasoningStarted", second, None),
        ("ReasoningMessageStarted", second, None),
        ("ReasoningEncryptedValue", second, "redacted_thinking:ZW5j", "message", None),
        ("ReasoningMessageEnded", second, None),
        ("ReasoningEnded", second, None),
        ("TextMessageStarted", "msg_7", None),
        ("TextMessageChunk", "msg_7", "Left."),
        ("TextMessageEnded", "msg_7"),
    ]
    # The run folds each reasoning message once, complete, with its encrypted value.
    run = Run()
    completed = [folded for event in events if (folded := run.apply(event)) is not None and folded.ended]
    assert [(m.message_id, m.text, m.encrypted_value) for m in completed] == [
        (first, "Weigh it.", "c2ln"),
        (second, "", "redacted_thinking:ZW5j"),
        ("msg_7", "Left.", None),
    ]


@pytest.mark.parametrize(
    ("budget", "asked", "sent"),
    [(2048, None, 4096), (8000, None, 8000 + 4096), (8000, 8000, 8000 + 4096), (8000, 20_000, 20_000)],
)
async def test_anthropic_thinking_budget_is_sent_below_max_tokens(budget: int, asked: int | None, sent: int) -> None:
    recorder = Recorder(anthropic_reply())
    chat = request(text("u", "hi"), parameters=ModelParameters(max_tokens=asked, temperature=0.5))

    await collect(anthropic_model(recorder, thinking_budget_tokens=budget), chat)

    body = recorder.bodies[0]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == sent
    assert not {"temperature", "top_k", "top_p"} & set(body)  # refused by Anthropic with thinking on


@pytest.mark.parametrize("choice", ["required", "function"])
async def test_anthropic_forced_tool_choice_leaves_thinking_off_and_the_reasoning_home(choice: str) -> None:
    recorder = Recorder(anthropic_reply())
    history = (
        text("u1", "plan"),
        thought("th", "Plan.", "c2ln"),
        text("a1", "Done.", Role.ASSISTANT),
        text("u2", "more"),
    )
    parameters = ModelParameters(tool_choice=choice, tool_choice_function_name="lookup")
    lookup = ToolDefinition("lookup", "Look up", {"type": "object", "properties": {}})

    await collect(
        anthropic_model(recorder, thinking_budget_tokens=2048),
        request(*history, tools=(lookup,), parameters=parameters),
    )

    body = recorder.bodies[0]
    assert "thinking" not in body
    assert body["max_tokens"] == 4096
    assert body["tool_choice"]["type"] in ("any", "tool")
    assert "thinking" not in json.dumps(body["messages"])


async def test_anthropic_with_thinking_sends_signed_reasoning_back_first_in_its_assistant_turn() -> None:
    recorder = Recorder(anthropic_reply())
    chat = request(
        text("u1", "weather?"),
        text("a0", "Let me check.", Role.ASSISTANT),
        thought("th1", "Call lookup.", "c2lnMQ=="),
        call("c1", q="Oslo"),
        answer("r1", "c1", "21 C"),
        thought("other", "Another vendor's thought.", None),
        thought("th2", "", "redacted_thinking:ZW5j"),
        text("a1", "21 C in Oslo.", Role.ASSISTANT),
        thought("dangling", "Nothing followed.", "c2lnMw=="),
        text("u2", "thanks"),
    )

    await collect(anthropic_model(recorder, thinking_budget_tokens=2048), chat)

    assert recorder.bodies[0]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Call lookup.", "signature": "c2lnMQ=="},
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "c1", "name": "lookup", "input": {"q": "Oslo"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "21 C"}]},
        {
            "role": "assistant",
            "content": [{"type": "redacted_thinking", "data": "ZW5j"}, {"type": "text", "text": "21 C in Oslo."}],
        },
        {"role": "user", "content": [{"type": "text", "text": "thanks"}]},
    ]


async def test_anthropic_without_thinking_sends_no_reasoning_back() -> None:
    recorder = Recorder(anthropic_reply())
    chat = request(text("u1", "hi"), thought("th1", "Greet.", "c2ln"), text("a1", "Hello.", Role.ASSISTANT))

    await collect(anthropic_model(recorder), chat)

    body = recorder.bodies[0]
    assert "thinking" not in body
    assert body["messages"][1] == {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]}


async def test_anthropic_tool_loop_without_its_thinking_is_continued_with_thinking_off() -> None:
    recorder = Recorder(anthropic_reply(), anthropic_reply())
    loop = (text("u1", "weather?"), call("c1", q="Oslo"), answer("r1", "c1", "21 C"))
    model = anthropic_model(recorder, thinking_budget_tokens=2048)

    await collect(model, request(*loop))
    await collect(model, request(*loop[:1], thought("th1", "Call it.", "c2ln"), *loop[1:]))

    unsigned, signed = recorder.bodies
    assert "thinking" not in unsigned  # Anthropic requires the thinking before the calls it continues
    assert signed["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert signed["messages"][1]["content"][0] == {"type": "thinking", "thinking": "Call it.", "signature": "c2ln"}


async def test_trimming_drops_a_reasoning_turn_that_does_not_fit_before_the_answer_it_led_to() -> None:
    recorder = Recorder(anthropic_reply(), anthropic_reply())
    filler = "x" * 3000  # about 1,000 tokens each
    chat = request(
        text("u1", "question"),
        thought("th1", filler, "c2ln"),
        text("a1", filler, Role.ASSISTANT),
        text("u2", "next"),
    )

    await collect(anthropic_model(recorder, 1_500, thinking_budget_tokens=2048), chat)
    await collect(anthropic_model(recorder, 2_500, thinking_budget_tokens=2048), chat)

    dropped, kept = recorder.bodies
    assert [[block["type"] for block in m["content"]] for m in dropped["messages"]] == [["text"], ["text"]]
    assert [[block["type"] for block in m["content"]] for m in kept["messages"]] == [
        ["text"],
        ["thinking", "text"],
        ["text"],
    ]


async def test_reasoning_effort_is_sent_to_openai_as_is_and_to_anthropic_as_its_effort() -> None:
    openai_recorder = Recorder(*[httpx2.Response(200, content=sse(chunk({"content": "ok"}))) for _ in range(2)])
    await collect(openai_model(openai_recorder), request(text("u", "hi")))
    await collect(openai_model(openai_recorder, reasoning_effort="minimal"), request(text("u", "hi")))
    assert "reasoning_effort" not in openai_recorder.bodies[0]
    assert openai_recorder.bodies[1]["reasoning_effort"] == "minimal"

    anthropic_recorder = Recorder(anthropic_reply(), anthropic_reply())
    await collect(anthropic_model(anthropic_recorder), request(text("u", "hi")))
    await collect(anthropic_model(anthropic_recorder, reasoning_effort="minimal"), request(text("u", "hi")))
    assert "output_config" not in anthropic_recorder.bodies[0]
    assert anthropic_recorder.bodies[1]["output_config"] == {"effort": "low"}  # Anthropic has no "minimal"


async def test_the_settings_reach_the_models_they_open() -> None:
    common = {"llm_model": "m", "llm_api_key": "k", "llm_base_url": "http://llm.test"}
    thinking = load_settings(overrides={**common, "llm_provider": "anthropic", "llm_thinking_budget_tokens": 1024})
    effort = load_settings(overrides={**common, "llm_provider": "openai", "llm_reasoning_effort": "high"})

    async with open_chat_model(thinking) as anthropic_chat, open_chat_model(effort) as openai_chat:
        assert isinstance(anthropic_chat, AnthropicChatModel)
        assert isinstance(openai_chat, OpenAIChatModel)
        assert anthropic_chat.request_body(request(text("u", "hi")))["thinking"]["budget_tokens"] == 1024
        assert openai_chat.request_body(request(text("u", "hi")))["reasoning_effort"] == "high"

    with pytest.raises(SettingsError, match="llm_thinking_budget_tokens"):
        load_settings(overrides={**common, "llm_provider": "anthropic", "llm_thinking_budget_tokens": 1023})
