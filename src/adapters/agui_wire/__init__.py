"""The AG-UI wire (ag-ui-protocol 0.x models): run events to and from AG-UI events, messages and run
input. One place for the mapping, imported by the agent adapters and by the v2 inbound adapter."""

from agui_runtime.adapters.agui_wire.events import EVENT_ADAPTER, AgentProtocolError, EventTranslator
from agui_runtime.adapters.agui_wire.inputs import from_agui_messages, run_agent_input, to_agui_messages
from agui_runtime.adapters.agui_wire.outgoing import OutgoingEvents

__all__ = [
    "EVENT_ADAPTER",
    "AgentProtocolError",
    "EventTranslator",
    "OutgoingEvents",
    "from_agui_messages",
    "run_agent_input",
    "to_agui_messages",
]
