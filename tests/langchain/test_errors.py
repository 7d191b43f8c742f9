"""LangChain's view of the core errors: each core error is also the matching langchain-core exception, keeps
code, status and request id, and is raised the same way by invoke, ainvoke and streams; local checks fail before
any request."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core import exceptions as lc_errors
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage

from langchain_qwen import ChatQwen
from langchain_qwen._errors import to_langchain_error
from qwen_core import errors as qwen_errors
from qwen_core.emulator import HTTPFault, StreamError
from tests._support.constants import API_KEY
from tests.langchain.helpers import ModelFactory


@pytest.mark.parametrize(
    ("core", "langchain"),
    [
        (qwen_errors.AuthenticationError, lc_errors.ModelAuthenticationError),
        (qwen_errors.PermissionDeniedError, lc_errors.ModelPermissionDeniedError),
        (qwen_errors.NotFoundError, lc_errors.ModelNotFoundError),
        (qwen_errors.ContextLengthError, lc_errors.ContextOverflowError),
        (qwen_errors.BadRequestError, lc_errors.ModelInvalidRequestError),
        (qwen_errors.RateLimitError, lc_errors.ModelRateLimitError),
        (qwen_errors.ServerError, lc_errors.ModelAPIError),
        (qwen_errors.APITimeoutError, lc_errors.ModelTimeoutError),
        (qwen_errors.APIConnectionError, lc_errors.ModelConnectionError),
    ],
)
def test_error_mapping(core: type[qwen_errors.APIError], langchain: type[Exception]) -> None:
    original = core("nope", code="C", status=400, request_id="rid", model="m")
    converted = to_langchain_error(original)
    assert isinstance(converted, core) and isinstance(converted, langchain)
    assert (converted.code, converted.status, converted.request_id) == ("C", 400, "rid")  # type: ignore[attr-defined]
    assert to_langchain_error(converted) is converted



def test_auth_error_is_catchable_both_ways(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(HTTPFault(status=401, code="InvalidApiKey", message="Invalid API-key provided."))
    with pytest.raises(lc_errors.ModelAuthenticationError) as info:
        make().invoke("hi")
    assert isinstance(info.value, qwen_errors.AuthenticationError)
    assert info.value.status == 401 and info.value.request_id
    assert API_KEY not in str(info.value)
    emu.enqueue(HTTPFault(status=401, code="InvalidApiKey", message="Invalid API-key provided."))
    with pytest.raises(qwen_errors.AuthenticationError):
        list(make().stream("hi"))


async def test_async_rate_limit_error(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(HTTPFault(status=429, code="Throttling.RateQuota", message="Requests rate limit exceeded"))
    with pytest.raises(lc_errors.ModelRateLimitError) as info:
        await make().ainvoke("hi")
    assert isinstance(info.value, qwen_errors.RateLimitError)
    assert info.value.is_retryable


def test_translated_errors_keep_the_core_error_as_cause() -> None:
    from langchain_qwen._errors import QwenRateLimitError, translate_errors

    core = qwen_errors.RateLimitError("slow down", code="Throttling", status=429, request_id="r1")
    with pytest.raises(QwenRateLimitError) as info, translate_errors():
        raise core
    assert info.value.__cause__ is core
    assert (info.value.code, info.value.status, info.value.request_id) == ("Throttling", 429, "r1")
    adapted = QwenRateLimitError("already adapted")
    with pytest.raises(QwenRateLimitError) as same, translate_errors():
        raise adapted
    assert same.value is adapted
    with pytest.raises(KeyError) as foreign, translate_errors():
        raise KeyError("not ours")
    assert foreign.value.__cause__ is None


def test_error_inside_a_stream(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(StreamError(after_events=1))
    with pytest.raises(qwen_errors.ContentInspectionError) as info:
        list(make().stream("hello there friend"))
    assert isinstance(info.value, lc_errors.ModelInvalidRequestError)


@pytest.mark.parametrize(
    ("messages", "fields", "match"),
    [
        ([ChatMessage(role="wizard", content="hi")], {}, "unsupported chat message role"),
        ([HumanMessage(content=[{"type": "hologram"}])], {}, "unsupported content block 'hologram'"),
        ([HumanMessage("hi")], {"temperature": 5.0}, "temperature must be in"),
        ([HumanMessage("hi"), AIMessage("pre", additional_kwargs={"partial": True}), HumanMessage("x")], {},
         "partial=True is only allowed on the last message"),
        ([HumanMessage(content=[{"type": "image", "url": "https://e.com/i.png"}])], {"model": "qwen-max"},
         "does not accept images"),
    ],
)
def test_bad_input_fails_before_any_request(
    make: ModelFactory, emu: Any, messages: list[BaseMessage], fields: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match) as info:
        make(**fields).invoke(messages)
    assert isinstance(info.value, lc_errors.ModelInvalidRequestError)
    with pytest.raises(ValueError, match=match):
        list(make(**fields).stream(messages))
    assert len(emu.requests) == 0


def test_missing_key_fails_at_construction() -> None:
    with pytest.raises(qwen_errors.ConfigurationError, match="DASHSCOPE_API_KEY"):
        ChatQwen()


