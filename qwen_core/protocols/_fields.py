"""Typed reads of decoded response JSON: each returns the value in the expected type or raises
:class:`~qwen_core.errors.ResponseParseError` naming the offending JSON path (e.g. ``choices[0].message.content``).

``None`` (JSON ``null``) and an absent key are the same thing to every ``opt_*`` reader. Paths are built only when
an error is raised; the per-token stream parsers make the same ``type(...) is`` checks inline and call
:func:`bad_field` themselves.
"""

from __future__ import annotations

import math
from typing import Any

from qwen_core.errors import ResponseParseError

_FLOAT_LIMIT = 2**1023
_KINDS = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number", bool: "a boolean"}


def describe(value: Any) -> str:
    """A short description of a JSON value for an error message."""
    kind = "null" if value is None else _KINDS.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text[:60] + '...' if len(text) > 60 else text}" if value is not None else kind


def bad_field(path: str, value: Any, expected: str) -> ResponseParseError:
    """The error for a field of the wrong type or value."""
    error = ResponseParseError(f"unexpected answer from the service: {path} is {describe(value)}, expected {expected}")
    error.path = path
    return error


def join(parent: str, key: str | int) -> str:
    """``parent.key`` or ``parent[index]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def obj(value: Any, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise bad_field(path, value, "an object")
    return value


def opt_obj(value: Any, path: str) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise bad_field(path, value, "an object or null")


def opt_list(value: Any, path: str) -> list[Any] | None:
    if value is None or type(value) is list:
        return value
    raise bad_field(path, value, "an array or null")


def opt_str(value: Any, path: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise bad_field(path, value, "a string or null")


def opt_int(value: Any, path: str) -> int | None:
    if value is None or type(value) is int:
        return value
    raise bad_field(path, value, "an integer or null")


def count(value: Any, path: str) -> int | None:
    """A token count: a non-negative integer, or ``None`` when absent."""
    if value is None or (type(value) is int and value >= 0):
        return value
    raise bad_field(path, value, "a non-negative integer or null")


def number(value: Any, path: str) -> float:
    """A finite JSON number (not a boolean) as a float."""
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is int and abs(value) < _FLOAT_LIMIT:
        return float(value)
    raise bad_field(path, value, "a finite number")
