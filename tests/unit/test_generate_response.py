from datetime import UTC, datetime

import pytest

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.application.errors import ConfigurationError, UpstreamError
from agui_runtime.application.use_cases.generate_response import ChatTurn, GenerateResponse
from agui_runtime.domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.messages import ActionExecutionMessage, MessageStatus, ResultMessage, Role, TextMessage
from agui_runtime.domain.tools import ActionOutcome, ModelParameters, ToolDefinition
from tests.fakes import FakeActions, ScriptedChatModel, chat_use_case

T0 = datetime(2026, 1, 1, tzinfo=UTC)
QUESTION = TextMessage(id="u1", created_at=T0, role=Role.USER, content="Hi")


def build(
    model: ScriptedChatModel | None, actions: FakeActions | None = None
) -> tuple[GenerateResponse, InMemoryThreadStore]:
    return chat_use_case(model, actions=actions)


async def run_all(use_case: GenerateResponse, turn: ChatTurn) -> tuple[str, list[RunEvent]]:
    run = await use_case(turn)
    return run.thread_id, [event async for event in run.events]


async def test_the_model_sees_the_requests_messages_and_the_answer_is_stored() -> None:
    model = ScriptedChatModel(
        [TextMessageStarted("a1"), TextMessageChunk("a1", "Hel"), TextMessageChunk("a1", "lo"), TextMessageEnded("a1")]
    )
    use_case, store = build(model)
    tools = (ToolDefinition("setColor"),)
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", tools=tools, parameters=ModelParameters(temperature=0.0))

    thread_id, events = await run_all(use_case, turn)

    assert thread_id == "t1"
    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunFinished)
    [asked] = model.requests
    assert (asked.messages, asked.tools, asked.parameters.temperature) == ((QUESTION,), tools, 0.0)
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [(m.id, getattr(m, "content", None), m.status) for m in thread.messages] == [
        ("u1", "Hi", MessageStatus.SUCCESS),
        ("a1", "Hello", MessageStatus.SUCCESS),
    ]


async def test_stored_history_is_never_merged_into_the_model_input() -> None:
    model = ScriptedChatModel([], [])
    use_case, store = build(model)
    await store.save_messages("t1", [TextMessage(id="old", created_at=T0, role=Role.USER, content="stored")])

    await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))

    assert [m.id for m in model.requests[0].messages] == ["u1"]


async def test_a_new_thread_gets_an_id() -> None:
    use_case, _ = build(ScriptedChatModel([]))
    thread_id, _ = await run_all(use_case, ChatTurn(messages=(QUESTION,)))
    assert thread_id == "run-1"


async def test_tool_calls_are_stored_with_parsed_arguments() -> None:
    model = ScriptedChatModel(
        [
            ToolCallStarted("c1", "setColor", "p1"),
            ToolCallArgs("c1", '{"color":'),
            ToolCallArgs("c1", '"red"}'),
            ToolCallEnded("c1"),
        ]
    )
    use_case, store = build(model)
    await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))
    thread = await store.get_thread("t1")
    assert thread is not None
    call = thread.messages[-1]
    assert isinstance(call, ActionExecutionMessage)
    assert (call.name, call.arguments, call.parent_message_id) == ("setColor", {"color": "red"}, "p1")


async def test_a_model_failure_ends_the_run_and_keeps_the_cut_off_text_as_failed() -> None:
    model = ScriptedChatModel(
        [
            TextMessageStarted("a1"),
            TextMessageChunk("a1", "partial"),
            UpstreamError("upstream answered HTTP 500", status=500),
        ]
    )
    use_case, store = build(model)

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))

    assert events[-1] == RunFailed("UPSTREAM_ERROR", "upstream answered HTTP 500")
    thread = await store.get_thread("t1")
    assert thread is not None
    cut = thread.messages[-1]
    assert isinstance(cut, TextMessage)
    assert (cut.content, cut.status) == ("partial", MessageStatus.FAILED)


async def test_an_unexpected_model_error_is_a_failed_run_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    use_case, _ = build(ScriptedChatModel([RuntimeError("/secret/path/in/trace")]))
    with caplog.at_level("INFO"):
        _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))
    assert [record.getMessage() for record in caplog.records] == ["run failed in thread t1: UNKNOWN (RuntimeError)"]
    assert all(record.exc_info is None for record in caplog.records)
    failed = events[-1]
    assert isinstance(failed, RunFailed)
    assert failed.code == "UNKNOWN"
    assert "/secret/path" not in failed.message


async def test_no_chat_model_is_a_configuration_error_before_the_run() -> None:
    use_case, store = build(None)
    with pytest.raises(ConfigurationError, match="AGUI_LLM_PROVIDER"):
        await use_case(ChatTurn(messages=(QUESTION,), thread_id="t1"))
    assert await store.get_thread("t1") is None


def backend_call(call_id: str, name: str, *fragments: str) -> list[RunEvent | Exception]:
    return [ToolCallStarted(call_id, name, "p"), *(ToolCallArgs(call_id, f) for f in fragments), ToolCallEnded(call_id)]


async def test_a_backend_call_is_executed_and_its_result_streamed_and_stored() -> None:
    actions = FakeActions({"getWeather": ActionOutcome(result='{"temp":21}')})
    model = ScriptedChatModel(backend_call("c1", "getWeather", '{"city":', '"Oslo"}'))
    use_case, store = build(model, actions)

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))

    assert actions.calls == [("getWeather", {"city": "Oslo"})]
    assert ToolCallResult("result-c1", "c1", "getWeather", '{"temp":21}') in events
    assert (
        events.index(ToolCallResult("result-c1", "c1", "getWeather", '{"temp":21}'))
        == events.index(ToolCallEnded("c1")) + 1
    )
    assert len(model.requests) == 1  # the model is not called again within the request
    thread = await store.get_thread("t1")
    assert thread is not None
    stored = thread.messages[-1]
    assert isinstance(stored, ResultMessage)
    assert (stored.id, stored.action_execution_id, stored.result) == ("result-c1", "c1", '{"temp":21}')


async def test_frontend_calls_are_not_executed_and_backend_tools_win_a_name_clash() -> None:
    actions = FakeActions({"shared": ActionOutcome(result="ok")})
    model = ScriptedChatModel(backend_call("c1", "setColor", "{}"))
    use_case, _ = build(model, actions)
    frontend = (ToolDefinition("setColor"), ToolDefinition("shared", "frontend twin"))

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1", tools=frontend))

    assert actions.calls == []
    assert not any(isinstance(e, ToolCallResult) for e in events)
    assert [(t.name, t.description) for t in model.requests[0].tools] == [
        ("shared", "shared (backend)"),
        ("setColor", ""),
    ]


async def test_unparsable_arguments_give_the_invalid_arguments_envelope() -> None:
    actions = FakeActions({"getWeather": ActionOutcome(result="never")})
    use_case, _ = build(ScriptedChatModel(backend_call("c1", "getWeather", '{"city": ')), actions)

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))

    [result] = [e for e in events if isinstance(e, ToolCallResult)]
    assert result.content == (
        '{"error":{"code":"INVALID_ARGUMENTS","message":"Failed to parse action arguments"},"result":""}'
    )
    assert actions.calls == []


def text_answer(message_id: str, text: str) -> list[RunEvent | Exception]:
    return [TextMessageStarted(message_id), TextMessageChunk(message_id, text), TextMessageEnded(message_id)]


async def test_with_several_model_calls_backend_results_go_back_to_the_model_until_it_answers() -> None:
    actions = FakeActions({"getWeather": ActionOutcome(result='{"temp":21}')})
    model = ScriptedChatModel(backend_call("c1", "getWeather", '{"city":"Oslo"}'), text_answer("a2", "21 degrees"))
    use_case, store = build(model, actions)

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1", max_model_calls=5))

    assert len(model.requests) == 2
    again = model.requests[1].messages
    assert [m.id for m in again] == ["u1", "c1", "result-c1"]
    assert isinstance(again[2], ResultMessage)
    assert again[2].result == '{"temp":21}'
    assert [type(e).__name__ for e in events][-5:] == [
        "ToolCallResult",
        "TextMessageStarted",
        "TextMessageChunk",
        "TextMessageEnded",
        "RunFinished",
    ]
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [m.id for m in thread.messages] == ["u1", "c1", "result-c1", "a2"]


async def test_one_model_call_by_default_and_a_frontend_call_ends_a_looping_run() -> None:
    actions = FakeActions({"getWeather": ActionOutcome(result="{}")})
    once = ScriptedChatModel(backend_call("c1", "getWeather", "{}"))
    use_case, _ = build(once, actions)
    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))
    assert len(once.requests) == 1
    assert isinstance(events[-1], RunFinished)

    both = ScriptedChatModel([*backend_call("c1", "getWeather", "{}"), *backend_call("c2", "setColor", "{}")])
    use_case, _ = build(both, FakeActions({"getWeather": ActionOutcome(result="{}")}))
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", tools=(ToolDefinition("setColor"),), max_model_calls=5)
    _, events = await run_all(use_case, turn)
    assert len(both.requests) == 1  # the client runs setColor and continues the thread itself


async def test_the_step_limit_caps_the_model_calls() -> None:
    actions = FakeActions({"getWeather": ActionOutcome(result="{}")})
    model = ScriptedChatModel(*[backend_call(f"c{i}", "getWeather", "{}") for i in range(5)])
    use_case, _ = build(model, actions)

    _, events = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1", max_model_calls=3))

    assert len(model.requests) == 3
    assert isinstance(events[-1], RunFinished)


async def test_run_started_carries_the_messages_new_to_the_thread_and_context_reaches_only_the_model() -> None:
    model = ScriptedChatModel([], [])
    use_case, store = build(model)
    _, first = await run_all(use_case, ChatTurn(messages=(QUESTION,), thread_id="t1"))
    follow_up = TextMessage(id="u2", created_at=T0, role=Role.USER, content="More")
    turn = ChatTurn(messages=(QUESTION, follow_up), thread_id="t1", context=(("page", "pricing"),))

    _, second = await run_all(use_case, turn)

    assert isinstance(first[0], RunStarted)
    assert first[0].input_messages == (QUESTION,)
    assert isinstance(second[0], RunStarted)
    assert second[0].input_messages == (follow_up,)
    shown = model.requests[1].messages
    assert isinstance(shown[0], TextMessage)
    assert shown[0].role is Role.SYSTEM
    assert "## Context from the application\npage:\npricing" in getattr(shown[0], "content", "")
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [m.id for m in thread.messages] == ["u1", "u2"]
