"""The agent turn: routing to the named agent, what it is given, its state, its failures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agui_runtime.application.errors import AgentNotFound, UpstreamUnavailable
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.use_cases.run_agent import AgentTurn, RunAgent
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import (
    AgentStateChanged,
    CustomEvent,
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    StateSnapshot,
    StepFinished,
    StepStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.messages import ResultMessage, Role, TextMessage
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition
from tests.fakes import FakeActions, ScriptedAgents, agent_use_case

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HELLO = TextMessage(id="u1", created_at=T0, role=Role.USER, content="Hello")
AGENTS = [AgentDescriptor("planner", "plans"), AgentDescriptor("coder", "codes")]
SEE_LOG = "the server log has the details."
DONE: list[RunEvent | Exception] = [RunStarted("t1", "r"), RunFinished("t1", "r")]


async def events_of(use_case: RunAgent, turn: AgentTurn) -> list[RunEvent]:
    run = await use_case(turn)
    return [event async for event in run.events]


async def test_an_unknown_agent_fails_that_request_only() -> None:
    agents = ScriptedAgents(AGENTS, DONE)
    use_case, store = agent_use_case(agents)

    with pytest.raises(AgentNotFound) as caught:
        await use_case(AgentTurn("ghost", (HELLO,), thread_id="t1"))

    assert "coder, planner" in caught.value.message
    assert await store.get_thread("t1") is None
    assert isinstance((await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1")))[-1], RunFinished)


async def test_the_agent_is_given_state_tools_and_forwarded_props() -> None:
    agents = ScriptedAgents(AGENTS, DONE, DONE)
    actions = FakeActions({"lookup": ActionOutcome(result="x"), "setColor": ActionOutcome(result="y")})
    use_case, store = agent_use_case(agents, actions=actions)
    await store.save_state(AgentStateKey("t1", "planner"), {"stored": True}, expected_version=None)
    request = RequestContext(properties={"authorization": "tok", "threadMetadata": {"topic": "x"}})
    frontend = (ToolDefinition("setColor", "frontend twin"), ToolDefinition("confirm"))

    await events_of(
        use_case,
        AgentTurn(
            "planner",
            (HELLO,),
            thread_id="t1",
            node_name="review",
            tools=frontend,
            config={"recursion": 3, "streamSubgraphs": True},
            resume='{"approved": true}',
            request=request,
        ),
    )
    await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1", state={"sent": 1}))

    first, second = agents.runs
    assert first.state == {"stored": True}
    assert second.state == {"sent": 1}
    assert [(t.name, t.description) for t in first.tools] == [
        ("lookup", "lookup (backend)"),
        ("setColor", "setColor (backend)"),
        ("coder", "codes"),
        ("confirm", ""),
    ]
    assert (first.config, first.resume, first.node_name) == (
        {"recursion": 3, "streamSubgraphs": True},
        '{"approved": true}',
        "review",
    )
    assert first.request.properties == {"authorization": "tok", "threadMetadata": {"topic": "x"}}
    assert (second.config, second.resume, second.node_name) == ({}, None, None)


async def test_state_steps_and_exit_become_agent_state_changes_and_state_is_stored() -> None:
    script: list[RunEvent | Exception] = [
        RunStarted("t1", "agent-run"),
        StateSnapshot("planner", {"count": 1}),
        StepStarted("draft"),
        TextMessageStarted("m1"),
        TextMessageChunk("m1", "Hi"),
        TextMessageEnded("m1"),
        StepFinished("draft"),
        CustomEvent("Exit", True),
        RunFinished("t1", "agent-run"),
    ]
    use_case, store = agent_use_case(ScriptedAgents(AGENTS, script))

    events = await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1", node_name="start"))

    changes = [(e.node_name, e.state, e.active, e.running) for e in events if isinstance(e, AgentStateChanged)]
    assert changes == [
        ("start", {"count": 1}, True, True),
        ("draft", {"count": 1}, True, True),
        ("draft", {"count": 1}, False, True),
        ("__end__", {"count": 1}, False, False),  # the run ended: the last message names the graph's end
    ]
    # each snapshot and step goes out as itself (the v2 wire) and as the v1 presentation right after it
    assert [type(e) for e in events][:5] == [
        RunStarted,
        StateSnapshot,
        AgentStateChanged,
        StepStarted,
        AgentStateChanged,
    ]
    assert isinstance(events[-1], RunFinished)
    stored = await store.load_state(AgentStateKey("t1", "planner"))
    assert stored is not None
    assert stored.values == {"count": 1}
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [m.id for m in thread.messages] == ["u1", "m1"]


def final_node(events: list[RunEvent]) -> tuple[str, bool]:
    last = [e for e in events if isinstance(e, AgentStateChanged)][-1]
    return last.node_name, last.active


@pytest.mark.parametrize(
    ("ending", "node"),
    [
        pytest.param([RunFinished("t1", "r")], "__end__", id="ended"),
        pytest.param([CustomEvent("on_interrupt", "Book it?"), RunFinished("t1", "r")], "ask", id="legacy-interrupt"),
        pytest.param(
            [CustomEvent("on_copilotkit_interrupt", {"value": "?"}), RunFinished("t1", "r")],
            "ask",
            id="copilotkit-interrupt",
        ),
        pytest.param(
            [RunFinished("t1", "r", {"type": "interrupt", "interrupts": [{"id": "i1"}]})], "ask", id="standard"
        ),
    ],
)
async def test_the_last_state_message_names_the_end_unless_the_run_waits_on_an_interrupt(
    ending: list[RunEvent | Exception], node: str
) -> None:
    # A v1 client sends the last nodeName back and LangGraph agents continue from it: a finished run that
    # named its last node ("ask") would run straight to the end on the next turn and answer nothing.
    script: list[RunEvent | Exception] = [
        RunStarted("t1", "r"),
        StepStarted("ask"),
        StateSnapshot("planner", {"n": 1}),
        StepFinished("ask"),
        *ending,
    ]
    use_case, _ = agent_use_case(ScriptedAgents(AGENTS, script))

    events = await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1", node_name="ask"))

    assert final_node(events) == (node, False)


async def test_a_frontend_call_does_not_end_the_run_and_a_backend_call_is_executed() -> None:
    script: list[RunEvent | Exception] = [
        ToolCallStarted("c1", "setColor"),
        ToolCallArgs("c1", '{"color":"red"}'),
        ToolCallEnded("c1"),
        ToolCallStarted("c2", "lookup"),
        ToolCallArgs("c2", "{}"),
        ToolCallEnded("c2"),
        TextMessageStarted("m1"),
        TextMessageEnded("m1"),
        RunFinished("t1", "r"),
    ]
    actions = FakeActions({"lookup": ActionOutcome(result="found")})
    use_case, store = agent_use_case(ScriptedAgents(AGENTS, script), actions=actions)

    events = await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1"))

    assert actions.calls == [("lookup", {})]
    assert ToolCallResult("result-c2", "c2", "lookup", "found") in events
    assert TextMessageEnded("m1") in events
    thread = await store.get_thread("t1")
    assert thread is not None
    assert isinstance(thread.messages[-2], ResultMessage)


@pytest.mark.parametrize(
    ("script", "failure"),
    [
        ([RunFailed("AGENT_ERROR", "The counter broke.")], RunFailed("AGENT_ERROR", "The counter broke.")),
        (
            [TextMessageStarted("m1"), TextMessageChunk("m1", "par")],
            RunFailed("UPSTREAM_ERROR", "Agent 'planner' ended its event stream without RUN_FINISHED."),
        ),
        (
            [UpstreamUnavailable("Agent 'planner' could not be reached.")],
            RunFailed("UPSTREAM_UNAVAILABLE", "Agent 'planner' could not be reached."),
        ),
        (
            [RuntimeError("/secret")],
            RunFailed("UNKNOWN", "Agent 'planner' failed unexpectedly; the server log has the details."),
        ),
    ],
)
async def test_agent_failures_end_the_run_and_keep_the_history(
    script: list[RunEvent | Exception], failure: RunFailed
) -> None:
    use_case, store = agent_use_case(ScriptedAgents(AGENTS, script))
    events = await events_of(use_case, AgentTurn("planner", (HELLO,), thread_id="t1"))
    assert events[-1] == failure
    thread = await store.get_thread("t1")
    assert thread is not None
    assert thread.messages[0] == HELLO
