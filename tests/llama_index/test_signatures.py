"""The signatures stored for LlamaIndex's span wrapper are exactly what ``inspect`` computes without them."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import FunctionType
from typing import Any

import pytest

from llama_index_qwen import Qwen, QwenEmbedding, QwenRerank
from llama_index_qwen._fast import spanned_functions

CLASSES = (Qwen, QwenEmbedding, QwenRerank)
SPANNED = [(cls, name, function) for cls in CLASSES for name, function in spanned_functions(cls).items()]


def test_the_per_call_methods_are_covered() -> None:
    assert {"chat", "achat", "stream_chat", "astream_chat", "complete", "acomplete"} <= set(spanned_functions(Qwen))
    assert {"_get_query_embedding", "_aget_query_embedding"} <= set(spanned_functions(QwenEmbedding))
    assert "_postprocess_nodes" in spanned_functions(QwenRerank)


@pytest.fixture
def without_stored(request: pytest.FixtureRequest) -> Iterator[inspect.Signature]:
    """The stored signature; while the test runs, the function has none (as before storing)."""
    function: FunctionType = request.param
    stored = function.__dict__["__signature__"]
    del function.__signature__  # type: ignore[attr-defined]
    try:
        yield stored
    finally:
        function.__signature__ = stored  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cls", "name", "without_stored"), [(c, n, f) for c, n, f in SPANNED], indirect=["without_stored"],
    ids=[f"{c.__name__}.{n}" for c, n, _ in SPANNED],
)
def test_stored_signature_is_what_inspect_computes(
    cls: type[Any], name: str, without_stored: inspect.Signature
) -> None:
    function = spanned_functions(cls)[name]
    assert inspect.signature(function) == without_stored


def test_bound_methods_see_the_same_parameters() -> None:
    llm = Qwen(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9")
    assert list(inspect.signature(llm.achat).parameters) == ["messages", "kwargs"]
    assert inspect.signature(llm.achat).bind([], temperature=0.1).arguments == {
        "messages": [], "kwargs": {"temperature": 0.1}
    }


def test_a_subclass_override_is_inspected_as_usual() -> None:
    class Custom(Qwen):
        def complete(self, prompt: str, formatted: bool = False, *, extra_flag: int = 0, **kwargs: Any) -> Any:
            return super().complete(prompt, formatted, **kwargs)

    llm = Custom(model="qwen-plus", api_key="sk-x", base_url="http://127.0.0.1:9")
    assert "extra_flag" in inspect.signature(llm.complete).parameters
