"""The v2 protocol: AG-UI over REST and server-sent events, and its single-route JSON envelope."""

from agui_runtime.adapters.inbound.agui.endpoint import AguiEndpoint
from agui_runtime.adapters.inbound.agui.runtime import AguiUseCases

__all__ = ["AguiEndpoint", "AguiUseCases"]
