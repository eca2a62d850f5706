"""An agent's run as a client sees it: shared by agent sessions and by agents the chat model calls."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from agui_runtime.application.ports import ActionRegistry, AgentRunner, AgentRunRequest, ThreadStore
from agui_runtime.application.streams import closed_after
from agui_runtime.application.use_cases.recording import RunRecorder
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.errors import ErrorCode
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
)
from agui_runtime.domain.json import JsonObject, JsonValue

logger = logging.getLogger("agui_runtime.agents")

EXIT_EVENT = "Exit"
# LangGraph's name for the end of a graph. A v1 client echoes the last `nodeName` back, and LangGraph agents
# (the CopilotKit SDK's `LangGraphAgent`, ag-ui-langgraph) "continue" from a node other than this one: a
# finished run that named its last node would make the next turn run from there straight to the end.
END_NODE = "__end__"
# The custom events that mean the run paused on an interrupt (as agents and the legacy SDK name them).
INTERRUPT_EVENTS = frozenset(
    {"on_interrupt", "LangGraphInterruptEvent", "on_copilotkit_interrupt", "CopilotKitLangGraphInterruptEvent"}
)


@dataclass(slots=True)
class AgentSession:
    """What the client is told of the agent: the node it is in, whether a step is active, whether it
    still holds the session (`running`), whether its run finished, and whether it paused on an interrupt
    (then the node stays the one that asked, which is where LangGraph resumes)."""

    key: AgentStateKey
    run_id: str
    node_name: str
    state: JsonObject
    active: bool = True
    running: bool = True
    finished: bool = False
    outcome: JsonObject | None = None  # the agent's own RUN_FINISHED outcome (an interrupt) and result
    result: JsonValue = None
    interrupted: bool = False

    @property
    def ended(self) -> bool:
        """The agent finished its run without waiting on an interrupt."""
        interrupt = isinstance(self.outcome, dict) and self.outcome.get("type") == "interrupt"
        return self.finished and not (self.interrupted or interrupt)

    def changed(self) -> AgentStateChanged:
        return AgentStateChanged(
            self.key.agent_name, self.node_name, self.run_id, self.state, self.active, self.running
        )


async def relay_agent(
    agents: AgentRunner,
    store: ThreadStore,
    actions: ActionRegistry,
    run: AgentRunRequest,
    recorder: RunRecorder,
    session: AgentSession,
    backend: frozenset[str],
) -> AsyncGenerator[RunEvent, None]:
    """The agent's events until it ends its run (`session.finished`) or fails (a `RunFailed`, last):
    messages recorded, backend calls executed, state snapshots stored; each snapshot and step is followed
    by the `AgentStateChanged` a v1 client is shown; the last one names `__end__` when the run ended
    without an interrupt.
    Exceptions of the agent adapter propagate."""
    async with closed_after(agents.run(run)) as agent_events:
        async for event in agent_events:
            match event:
                case RunStarted():
                    continue
                case RunFinished(outcome=outcome, result=result):
                    session.finished, session.outcome, session.result = True, outcome, result
                    break
                case RunFailed():
                    await recorder.cut_off()
                    logger.warning("agent %s failed in thread %s: %s", run.agent_name, run.thread_id, event.code)
                    yield event
                    return
                case StateSnapshot(state=state):
                    session.state = state
                    await store.save_state(session.key, state, expected_version=None)
                    yield event
                    yield session.changed()
                case StepStarted(step_name=name):
                    session.node_name, session.active = name, True
                    yield event
                    yield session.changed()
                case StepFinished():
                    session.active = False
                    yield event
                    yield session.changed()
                case CustomEvent(name=name):
                    if name == EXIT_EVENT:
                        session.running = False
                    elif name in INTERRUPT_EVENTS:
                        session.interrupted = True
                    yield event
                case _:
                    done = await recorder.track(event)
                    yield event
                    if done is not None and done.tool_name in backend:
                        yield await recorder.execute(actions, done)
    await recorder.cut_off()
    if not session.finished:
        yield RunFailed(
            ErrorCode.UPSTREAM_ERROR, f"Agent '{run.agent_name}' ended its event stream without RUN_FINISHED."
        )
        return
    told = session.node_name != "" or bool(session.state)  # a client shown a node must be told it ended
    if session.state or not session.running or (told and session.ended and session.node_name != END_NODE):
        session.active = False
        if session.ended:
            session.node_name = END_NODE  # as the SDK's last state sync says; see END_NODE
        yield session.changed()
