"""Word matching and JSON generation: choosing tools, building tool arguments and JSON-schema instances.

All of it is deterministic: the same request always yields the same tool calls and the same JSON.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "instance",
    "overlap",
    "schema_of",
    "split_items",
    "subject",
    "tool_arguments",
    "tool_name",
    "tool_score",
    "words",
]

_WORD = re.compile(r"[a-z0-9]+|[^\W\d_a-z]", re.UNICODE)
_STOP = frozenset((
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for", "and", "or", "with", "what",
    "which", "who", "how", "do", "does", "can", "could", "would", "please", "me", "my", "i", "you", "your", "it",
    "its", "this", "that", "get", "give", "tell", "current", "now",
))
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SPLIT_ITEMS = re.compile(r",|，|、|;|；|\band\b|和|与|及")
_CAPITAL = re.compile(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (ASCII words, and single CJK/other letters), stop words removed."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def overlap(a: str, b: str) -> int:
    """How many distinct words ``a`` and ``b`` share."""
    return len(set(words(a)) & set(words(b)))


def tool_name(tool: dict[str, Any]) -> str:
    return str((tool.get("function") or {}).get("name", ""))


def tool_score(tool: dict[str, Any], text: str) -> int:
    """Relevance of a tool to the user text: shared words with its name and description."""
    fn = tool.get("function") or {}
    return overlap(f"{fn.get('name', '')} {fn.get('description', '')}", text)


def split_items(text: str) -> list[str]:
    """Comma / "and"-separated parts of ``text`` that still carry words."""
    parts = [p.strip(" .?!。？！") for p in _SPLIT_ITEMS.split(text)]
    return [p for p in parts if words(p)]


def subject(text: str, first_word_of: str) -> str:
    """The most specific phrase in ``text``: capitalised words (not the message's first word), else the text."""
    stripped = text.strip(" .?!。？！")
    lead = first_word_of.strip().split(" ")[0] if first_word_of.strip() else ""
    names = [m for m in _CAPITAL.findall(stripped) if not (m == lead and stripped.startswith(lead))]
    return " ".join(names) if names else stripped


def instance(schema: Any, text: str, name: str = "", required_only: bool = False) -> Any:
    """A JSON value valid against ``schema``, filled from ``text`` (strings) and numbers in it."""
    if not isinstance(schema, dict):
        return text
    if schema.get("enum"):
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            options = [s for s in schema[key] if not (isinstance(s, dict) and s.get("type") == "null")]
            return instance((options or schema[key])[0], text, name, required_only)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema, text, required_only)
    if kind == "array":
        return [instance(schema.get("items") or {"type": "string"}, text, name, required_only)]
    return _scalar(kind, schema, text)


def _scalar(kind: Any, schema: dict[str, Any], text: str) -> Any:
    if kind == "integer":
        found = _NUMBER.findall(text)
        return int(float(found[0])) if found else int(schema.get("minimum", 1))
    if kind == "number":
        found = _NUMBER.findall(text)
        return float(found[0]) if found else float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    value = text.strip() or "text"
    max_len = schema.get("maxLength")
    return value[: int(max_len)] if isinstance(max_len, int) else value


def _object(schema: dict[str, Any], text: str, required_only: bool) -> dict[str, Any]:
    props = schema.get("properties") or {}
    required = schema.get("required")
    keys = [k for k in props if k in required] if required_only and isinstance(required, list) else list(props)
    if required_only and not keys and isinstance(required, list):
        keys = [k for k in required if k in props]
    return {k: instance(props[k], text, k, required_only) for k in keys}


def tool_arguments(tool: dict[str, Any], text: str, whole: str) -> dict[str, Any]:
    """Arguments for one call: the tool's required properties filled from ``text`` (part of ``whole``)."""
    params = (tool.get("function") or {}).get("parameters") or {}
    value = subject(text, whole)
    args = instance(params, value, required_only=True)
    return args if isinstance(args, dict) else {}


def schema_of(response_format: dict[str, Any]) -> Any:
    """The JSON schema inside a ``json_schema`` response_format (accepts both documented layouts)."""
    spec = response_format.get("json_schema") or {}
    return spec.get("schema", spec) if isinstance(spec, dict) else {}
