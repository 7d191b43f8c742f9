"""Web search as the service reports it: ``output.search_info`` and the ``usage.plugins`` counts
(docs/protocol.md#s3-2, #q18).

Results are deterministic (derived from the question) unless a :class:`~qwen_core.emulator.ScriptedReply` gives
its own. ``enable_search_extension`` adds a vertical-search entry to ``extra_tool_info``; multimodal models with
``enable_text_image_mixed`` also count image searches (``plugins.image_search``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from qwen_core.emulator.chat import EmulatedChatRequest

__all__ = ["EMPTY_SEARCH_INFO", "options", "prepends_results", "search_info"]

#: search_info of every stream frame after the first when the results are sent up front (prepend_search_result).
EMPTY_SEARCH_INFO: dict[str, Any] = {"extra_tool_info": [], "search_results": []}


def options(req: EmulatedChatRequest) -> dict[str, Any]:
    """The request's ``search_options`` (empty when absent or not an object)."""
    value = req.params.get("search_options")
    return value if isinstance(value, dict) else {}


def prepends_results(req: EmulatedChatRequest) -> bool:
    """Whether a stream sends the results in a first frame of their own (``usage: {}``) before the answer."""
    return bool(req.params.get("enable_search")) and bool(options(req).get("prepend_search_result"))


def _default_results(query: str) -> list[dict[str, Any]]:
    digest = hashlib.sha1(query.encode()).hexdigest()[:8]
    return [
        {"index": i, "title": f"Result {i} for {query}", "url": f"https://example.com/search/{digest}/{i}",
         "site_name": "Example", "icon": "https://example.com/favicon.ico"}
        for i in (1, 2)
    ]


def _scripted(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": n, **dict(result)} for n, result in enumerate(results, start=1)]


def search_info(req: EmulatedChatRequest, scripted: Sequence[Mapping[str, Any]] | None = None
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``search_info`` and ``usage.plugins`` for a web-search request (``scripted`` results when given)."""
    query = req.last_user_text.strip() or "query"
    results = _scripted(scripted) if scripted is not None else _default_results(query)
    opts = options(req)
    extra = [{"tool": "extension", "result": f"Extended information for {query}"}] \
        if opts.get("enable_search_extension") else []
    plugins: dict[str, Any] = {"search": {"count": 1, "strategy": str(opts.get("search_strategy", "turbo"))}}
    if req.endpoint == "multimodal" and req.params.get("enable_text_image_mixed"):
        plugins["image_search"] = {"count": 1}
    return {"search_results": results, "extra_tool_info": extra}, plugins
