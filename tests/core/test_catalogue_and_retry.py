from __future__ import annotations

import random

from qwen_core.catalogue import ModelCatalogue, ModelInfo, get_embedding_model_info, get_model_info
from qwen_core.errors import AuthenticationError, RateLimitError, ServerError
from qwen_core.retry import RetryPolicy


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
    info = get_model_info("my-finetune")
    assert not info.known and info.thinking == "none" and not info.supports_json_schema
    assert get_model_info("my-finetune", supports_json_schema=True).supports_json_schema
    catalogue = ModelCatalogue()
    catalogue.register(ModelInfo("my-finetune", context_window=4096))
    assert catalogue.chat_model("my-finetune").context_window == 4096
    assert get_model_info("my-finetune").context_window != 4096  # the default catalogue is untouched


def test_retry_policy() -> None:
    policy = RetryPolicy(max_retries=2, base_delay=0.5, max_delay=8.0, jitter=0.25)
    assert policy.should_retry(RateLimitError("x"), 0)
    assert policy.should_retry(ServerError("x"), 1)
    assert not policy.should_retry(ServerError("x"), 2)
    assert not policy.should_retry(AuthenticationError("x"), 0)
    rng = random.Random(1)
    for attempt, base in ((0, 0.5), (1, 1.0), (2, 2.0), (10, 8.0)):
        assert base * 0.75 <= policy.delay(attempt, rng=rng) <= base * 1.25
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=100.0) == 8.0
