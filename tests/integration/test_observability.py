"""Logging: credentials never reach a log line, whoever logs them; JSON lines when asked."""

from __future__ import annotations

import json
import logging

import pytest

from adapters.observability import JsonFormatter, RedactingFilter, redact


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
