"""Request hooks and a context-reading action that the integration tests name in their TOML settings."""

from __future__ import annotations

import json
from pathlib import Path

from agui_runtime.application.errors import RequestRejected
from agui_runtime.application.requests import AfterRequest, BeforeRequest, RequestContext

TOKENS = {"Bearer alice-token": "alice", "Bearer bob-token": "bob"}


async def authenticate(ctx: BeforeRequest) -> str | None:
    """Bearer tokens name the principal; a token over its quota and a missing token are refused."""
    token = ctx.request.headers.get("authorization", "")
    if token == "Bearer spent-token":
        raise RequestRejected("The monthly message quota is used up.", code="QUOTA_EXCEEDED")
    if token not in TOKENS:
        raise RequestRejected("Sign in to use the assistant.")
    return TOKENS[token]


def audit(report: AfterRequest) -> None:
    """Appends one JSON line per ended run to the file the `audit_log` property names."""
    line = {
        "thread": report.thread_id,
        "run": report.run_id,
        "principal": report.request.principal,
        "inputs": [message.id for message in report.input_messages],
        "outputs": [type(message).__name__ for message in report.output_messages],
        "error": report.error_code,
    }
    with Path(str(report.request.properties["audit_log"])).open("a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


def whoami(request: RequestContext) -> dict[str, object]:
    """Tells the model who is asking."""
    return {
        "principal": request.principal,
        "tenant_property": request.properties.get("tenant"),
        "tenant_header": request.headers.get("x-tenant"),
        "authorization": request.headers.get("authorization"),
        "cookie": request.headers.get("cookie"),
        "url": request.url,
    }
