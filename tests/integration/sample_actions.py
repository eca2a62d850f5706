"""Backend action handlers that the integration tests name in their TOML settings."""

from __future__ import annotations

import time


def get_weather(city: str, unit: str = "C") -> dict[str, object]:
    """Current weather for a city."""
    if city == "Atlantis":
        raise LookupError(f"no weather station in {city}")
    return {"city": city, "temp": 21, "unit": unit}


def slow_lookup(seconds: float) -> str:
    """Blocks its worker thread, as a slow synchronous handler does."""
    time.sleep(seconds)
    return f"slept {seconds}"
