"""The model catalogue: required models and snapshots, safe defaults for unknown models, the unknown-model warning."""

from __future__ import annotations

import warnings

import pytest

from qwen_core.catalogue import (
    ModelCatalogue,
    ModelInfo,
    UnknownModelWarning,
    get_embedding_model_info,
    get_model_info,
)


def test_catalogue_required_models_and_snapshots() -> None:
    for name in ("qwen-max", "qwen-plus", "qwen-turbo", "qwen-flash", "qwen-long", "qwen3-max", "qwen3-32b",
                 "qwq-plus", "qwen-vl-max", "qwen-vl-plus", "qwen3-vl-plus"):
        assert get_model_info(name).known, name
    assert get_model_info("qwen-plus-2025-07-28").supports_json_schema
    assert get_model_info("qwq-plus").thinking == "thinking_only"
    assert get_model_info("qwen-vl-max").native_endpoint == "multimodal"
    assert get_model_info("qwen-plus").thinking_enabled(None) is False
    assert get_model_info("qwen3-32b").thinking_enabled(None) is True
    assert get_embedding_model_info("text-embedding-v4").max_batch == 10
    assert get_embedding_model_info("text-embedding-v2").max_batch == 25


def test_unknown_models_get_safe_defaults_and_overrides_win() -> None:
    with pytest.warns(UnknownModelWarning, match="'my-finetune' is not in the qwen-integrations catalogue"):
        info = get_model_info("my-finetune")
    assert not info.known and info.thinking == "none" and not info.supports_json_schema
    assert get_model_info("my-finetune", supports_json_schema=True).supports_json_schema
    catalogue = ModelCatalogue()
    catalogue.register(ModelInfo("my-finetune", context_window=4096))
    assert catalogue.chat_model("my-finetune").context_window == 4096
    assert get_model_info("my-finetune").context_window != 4096  # the default catalogue is untouched


def test_unknown_model_warning_is_given_once_per_name() -> None:
    catalogue = ModelCatalogue()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            catalogue.chat_model("qwen-unheard-of")
        catalogue.chat_model("qwen-unheard-of", context_window=8)  # the caller states facts: no warning
        catalogue.chat_model("qwen-plus-2024-09-19")  # a known snapshot: no warning
    assert [type(w.message) for w in caught] == [UnknownModelWarning]


@pytest.mark.parametrize(("name", "facts"), [
    ("qwen-plus-0919", {"context_window": 131_072, "thinking": "none", "supports_json_schema": False}),
    ("qwen-plus-2024-09-19", {"context_window": 131_072, "thinking": "none", "supports_json_schema": False}),
    ("qwen-turbo-1101", {"context_window": 1_000_000, "thinking": "none"}),
    ("qwen-turbo-0919", {"context_window": 131_072, "thinking": "none"}),
    ("qwen-max-longcontext", {"context_window": 30_000, "known": True}),
    ("qwen-plus-2025-07-28", {"context_window": 1_000_000, "thinking": "hybrid", "supports_json_schema": True}),
])
def test_dated_snapshots_have_their_documented_facts(name: str, facts: dict[str, object]) -> None:
    info = get_model_info(name)
    assert {key: getattr(info, key) for key in facts} == facts and info.name == name
