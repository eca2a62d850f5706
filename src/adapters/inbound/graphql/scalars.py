"""The contract's custom scalars, with the reference runtime's descriptions and `@specifiedBy` URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

DateTimeISO = NewType("DateTimeISO", datetime)
JSON = NewType("JSON", object)
JSONObject = NewType("JSONObject", dict[str, Any])

_ECMA_404 = "http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf"


def serialize_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a `Z`, as the client expects (`2026-11-24T13:41:17.219Z`)."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(value: object) -> datetime:
    """An RFC 3339 date-time with an offset (`Z` or `+hh:mm`); anything else is rejected."""
    if not isinstance(value, str):
        raise ValueError("DateTimeISO must be a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        # Not chained: the stdlib's error only repeats the value, and a client's input is no server fault.
        raise ValueError(f"DateTimeISO cannot represent {value!r}: not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"DateTimeISO cannot represent {value!r}: it needs a time zone offset")
    return parsed


def parse_json_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("JSONObject must be an object")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    DateTimeISO: strawberry.scalar(
        name="DateTimeISO",
        description=(
            "A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format "
            "outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of "
            "dates and times using the Gregorian calendar.This scalar is serialized to a string in ISO 8601 "
            "format and parsed from a string in ISO 8601 format."
        ),
        serialize=serialize_datetime,
        parse_value=parse_datetime,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description=f"The `JSON` scalar type represents JSON values as specified by [ECMA-404]({_ECMA_404}).",
        specified_by_url=_ECMA_404,
    ),
    JSONObject: strawberry.scalar(
        name="JSONObject",
        description=f"The `JSONObject` scalar type represents JSON objects as specified by [ECMA-404]({_ECMA_404}).",
        specified_by_url=_ECMA_404,
        parse_value=parse_json_object,
    ),
}
