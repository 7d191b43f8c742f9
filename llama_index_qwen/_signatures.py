"""Stored signatures for the methods LlamaIndex's dispatcher wraps in spans.

The dispatcher's span wrapper runs ``inspect.signature(method).bind(*args, **kwargs)`` on every call of a spanned
method (``chat``, ``achat``, ``stream_chat``, ``complete``, the embedding methods, ...), and computing a signature
costs 10-20 us each time. ``inspect`` returns a function's ``__signature__`` when it has one, so storing what it
computes, once, gives the same answer for a fraction of that. Only our own function objects are touched (each
decorator makes a new wrapper function per method); a subclass overriding a method gets a new, unstored one.
"""

from __future__ import annotations

import inspect
from types import FunctionType
from typing import Any

#: The attribute LlamaIndex's ``dispatcher.span`` sets on what it decorates.
SPAN_MARK = "__dispatcher_span_decorated__"


def spanned_functions(cls: type[Any]) -> dict[str, FunctionType]:
    """The plain functions behind the span wrappers defined on ``cls`` itself, by method name."""
    found = {}
    for name, attribute in vars(cls).items():
        function = getattr(attribute, "__wrapped__", None)
        if getattr(attribute, SPAN_MARK, False) and isinstance(function, FunctionType):
            found[name] = function
    return found


def store_span_signatures(cls: type[Any]) -> None:
    """Store on each spanned function of ``cls`` the signature ``inspect`` computes for it."""
    for function in spanned_functions(cls).values():
        function.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
