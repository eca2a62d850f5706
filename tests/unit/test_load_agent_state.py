from datetime import UTC, datetime

import pytest

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.application.errors import AgentNotFound
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState, LoadAgentStateQuery
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.messages import ActionExecutionMessage, AgentStateMessage, ResultMessage, Role, TextMessage
from tests.fakes import FakeHooks, FixedClock, StaticAgents

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryThreadStore:
    return InMemoryThreadStore(FixedClock())


@pytest.fixture
def load(store: InMemoryThreadStore) -> LoadAgentState:
    return LoadAgentState(StaticAgents(AgentDescriptor("planner"), AgentDescriptor("coder")), store, FakeHooks())


async def test_an_unknown_agent_is_an_error_that_names_the_available_ones(load: LoadAgentState) -> None:
    with pytest.raises(AgentNotFound) as caught:
        await load(LoadAgentStateQuery("t1", "ghost"))
    assert caught.value.code == "AGENT_NOT_FOUND"
    assert "ghost" in caught.value.message
    assert "coder, planner" in caught.value.message


async def test_an_unknown_thread_is_an_empty_view_not_an_error(load: LoadAgentState) -> None:
    view = await load(LoadAgentStateQuery("never-seen", "planner"))
    assert (view.thread_id, view.thread_exists, view.state, view.messages) == ("never-seen", False, {}, ())


async def test_returns_stored_state_and_history_in_thread_order_without_state_snapshots(
    load: LoadAgentState, store: InMemoryThreadStore
) -> None:
    call = ActionExecutionMessage(id="c1", created_at=T0, name="search", arguments={"q": "x"})
    snapshot = AgentStateMessage(
        id="s1",
        created_at=T0,
        thread_id="t1",
        agent_name="planner",
        node_name="n",
        run_id="r",
        active=False,
        running=True,
    )
    await store.save_messages(
        "t1",
        [
            TextMessage(id="u1", created_at=T0, role=Role.USER, content="find x"),
            call,
            snapshot,
            ResultMessage(id="r1", created_at=T0, action_execution_id="c1", action_name="search", result="found"),
        ],
    )
    await store.save_state(AgentStateKey("t1", "planner"), {"step": 2}, expected_version=None)

    view = await load(LoadAgentStateQuery("t1", "planner"))

    assert view.thread_exists is True
    assert view.state == {"step": 2}
    assert [m.id for m in view.messages] == ["u1", "c1", "r1"]


async def test_state_is_per_agent(load: LoadAgentState, store: InMemoryThreadStore) -> None:
    await store.save_state(AgentStateKey("t1", "planner"), {"plan": ["a"]}, expected_version=None)

    planner = await load(LoadAgentStateQuery("t1", "planner"))
    coder = await load(LoadAgentStateQuery("t1", "coder"))

    assert (planner.thread_exists, planner.state) == (True, {"plan": ["a"]})
    assert (coder.thread_exists, coder.state) == (False, {})
