"""Helpers to read what the emulator received, on either protocol."""

from __future__ import annotations

from typing import Any


def wire_options(body: dict[str, Any], api: str) -> dict[str, Any]:
    """The request options of a recorded chat body: top-level (compatible) or ``parameters`` (native)."""
    return body if api == "compatible" else body["parameters"]


def wire_messages(body: dict[str, Any], api: str) -> list[dict[str, Any]]:
    return body["messages"] if api == "compatible" else body["input"]["messages"]
