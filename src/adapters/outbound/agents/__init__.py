"""Agents the runtime routes to."""

from adapters.outbound.agents.configured import ConfiguredAgents

__all__ = ["ConfiguredAgents"]
