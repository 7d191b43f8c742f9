"""Names the LlamaIndex tests share."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from llama_index_qwen import Qwen

#: ``make(**fields)`` from conftest: a ``Qwen`` on the parametrized protocol, against the emulator.
LLMFactory = Callable[..., Qwen]

#: Warnings LlamaIndex's agents and workflows raise about themselves (the suite turns warnings into errors): a
#: test module running them sets ``pytestmark = AGENT_WARNINGS`` (plus its own).
AGENT_WARNINGS = [
    # llama-index's `workflows` package inspects agent classes with inspect.getmembers, which touches pydantic's
    # deprecated attributes (`__fields__`, ...); the warnings are theirs, not ours
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    # the agent's memory is "a known unserializable key" of workflow contexts (their words: "This is expected")
    pytest.mark.filterwarnings("ignore::workflows.context.state_store.UnserializableKeyWarning"),
    # agents' default Memory opens an aiosqlite connection it never closes
    pytest.mark.filterwarnings("ignore:Exception ignored in. <function Connection.__del__:"
                               "pytest.PytestUnraisableExceptionWarning"),
]
