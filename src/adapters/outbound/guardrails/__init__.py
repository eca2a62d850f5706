"""Guardrails adapters: the chat model as a topic classifier (default), or CopilotKit Cloud's service."""

from agui_runtime.adapters.outbound.guardrails.cloud import CloudGuardrails, open_cloud_guardrails
from agui_runtime.adapters.outbound.guardrails.model import ModelGuardrails

__all__ = ["CloudGuardrails", "ModelGuardrails", "open_cloud_guardrails"]
