"""Logging for the server process: one handler on the root logger (uvicorn's loggers included), text or
JSON lines, and a redaction filter so no credential reaches the logs, whoever logs it."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from datetime import UTC, datetime

import orjson

REDACTED = "[REDACTED]"
_SECRET_KEYS = (
    r"authorization|x-api-key|api[_-]?key|apikey|(?:access|refresh|id)[_-]?token|token|secret|client[_-]?secret"
    r"|password|passwd|cookie"
)
# `key: value`, `key=value`, `"key": "value"` and `'key': 'value'`, the value up to a quote, comma, brace or space
_KEYED = re.compile(
    rf"""(?i)(["']?\b(?:{_SECRET_KEYS})\b["']?\s*[:=]\s*)(["']?)"""  # the key, its separator, an opening quote
    r"""(?:(?:bearer|basic)\s+)?([^"',;}\s]+)"""  # the value, after a scheme word
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_KEY_LIKE = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^/\s@]+@")


def redact(text: str) -> str:
    """`text` with credential values replaced: values of secret-named keys, bearer tokens, `sk-...` keys and
    passwords in URLs."""
    text = _KEYED.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _KEY_LIKE.sub(REDACTED, text)
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) and exception text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception text at debug level)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry).decode()


def configure_logging(level: str, log_format: str) -> None:
    """Root logging for a server process; replaces handlers set before (uvicorn is told not to add its own)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
