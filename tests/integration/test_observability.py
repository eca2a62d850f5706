"""Logging: credentials never reach a log line, whoever logs them; JSON lines when asked."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from agui_runtime.adapters.observability import JsonFormatter, RedactingFilter, redact
from tests.integration.conftest import ServeFactory, llm_config
from tests.integration.mock_llm import MockLLM, Reply


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("headers {'authorization': 'Bearer abc.def.ghi'}", "abc.def.ghi"),
        ('{"apiKey": "k-12345678"}', "k-12345678"),
        ("api_key=plainvalue123 next", "plainvalue123"),
        ("calling with Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("the key sk-proj-ABCDEFGHIJKL was refused", "sk-proj-ABCDEFGHIJKL"),
        ("postgresql+asyncpg://agui:s3cretpw@db:5432/agui", "s3cretpw"),
        ("{'password': 'hunter22', 'user': 'bob'}", "hunter22"),
        ("x-api-key: xk-998877", "xk-998877"),
        ('"client_secret":"cs_live_1"', "cs_live_1"),
        ("refresh_token=rt.abc", "rt.abc"),
    ],
)
def test_credentials_are_redacted(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "[REDACTED]" in redact(text)


def test_what_is_not_a_credential_is_left_alone() -> None:
    line = "run r-1 failed in thread t-9: UPSTREAM_TIMEOUT (tokens=42, model gpt-4o)"
    assert redact(line) == line


def test_the_filter_redacts_arguments_and_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord(
        "agui_runtime", logging.ERROR, __file__, 1, "request %s", ({"apiKey": "sk-AAAA1111BBBB"},), None
    )
    try:
        raise ValueError("token=tok-SECRET-9")
    except ValueError as error:
        record.exc_info = (type(error), error, error.__traceback__)

    assert RedactingFilter().filter(record)
    line = JsonFormatter().format(record)

    parsed = json.loads(line)
    assert parsed["level"] == "error"
    assert parsed["logger"] == "agui_runtime"
    assert "sk-AAAA1111BBBB" not in line
    assert "tok-SECRET-9" not in line
    assert "ValueError" in parsed["exception"]


def test_a_server_logs_json_lines_without_the_credentials_it_was_sent(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(
        llm_config(mock_llm)
        + 'log_level = "debug"\nlog_format = "json"\n'
        + '[[agents]]\nname = "down"\nkind = "agui-http"\nurl = "http://user:pw-IN-URL-77@127.0.0.1:9/agent"\n'
    )
    secret_headers = {"authorization": "Bearer tok-HEADER-SECRET-1", "x-api-key": "xk-HEADER-SECRET-2"}
    mock_llm.script(Reply(status=401, error={"error": {"message": "Incorrect API key provided: sk-test-secret-key"}}))

    for path, body in [
        ("/agent/default/run", run_body("t-log-1", {"apiKey": "sk-PROPS-SECRET-3"})),
        ("/agent/down/run", run_body("t-log-2", {"token": "PROPS-SECRET-4"})),
    ]:
        with httpx.stream("POST", server.url + path, json=body, headers=secret_headers, timeout=30) as response:
            list(response.iter_lines())
    server.process.terminate()
    server.process.wait(timeout=15)
    time.sleep(0.2)

    lines = [line for line in server.log if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(entry["logger"].startswith("uvicorn") for entry in entries)
    assert any("UPSTREAM_UNAVAILABLE" in entry["message"] or "down" in entry["message"] for entry in entries)
    text = "\n".join(lines)
    for secret in (
        "tok-HEADER-SECRET-1",
        "xk-HEADER-SECRET-2",
        "sk-PROPS-SECRET-3",
        "PROPS-SECRET-4",
        "sk-test-secret-key",
        "pw-IN-URL-77",
    ):
        assert secret not in text, secret


def run_body(thread_id: str, props: dict[str, str]) -> dict[str, object]:
    return {
        "threadId": thread_id,
        "runId": f"run-{thread_id}",
        "state": {},
        "messages": [{"id": "u1", "role": "user", "content": "hi"}],
        "tools": [],
        "context": [],
        "forwardedProps": props,
    }
