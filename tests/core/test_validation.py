"""Every chat argument checked to the service's documented type and range before sending (qwen_core.validation):
a typed error naming the argument, or a wire body the protocol notes call valid. Through QwenClient (both
protocols, streamed or not) and, over real sockets against the suite's fault server, ChatQwen and LlamaIndex Qwen.

The ``@example`` seeds are inputs that crashed untyped or were sent although invalid before the module existed.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qwen_core.catalogue import UnknownModelWarning
from qwen_core.client import QwenClient
from qwen_core.errors import InvalidRequestError
from qwen_core.types import ChatRequest, Message, ToolCall
from tests._support.calls import ask
from tests._support.constants import API_KEY
from tests._support.fault_server import FaultServer, sse_head
from tests._support.fuzzing import (
    ANSWERS,
    adapter_failures,
    core_request,
    langchain_messages,
    llama_index_messages,
    random_request_args,
    request_failures,
)

CLIENTS = [QwenClient(api=api, api_key=API_KEY, base_url="http://127.0.0.1:9") for api in ("compatible", "dashscope")]


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=0)  # a lone surrogate -> TypeError from the JSON encoder
@example(seed=1)  # model=5 -> AttributeError
@example(seed=10)  # temperature='0.5' -> TypeError
@example(seed=19)  # max_tokens=inf sent as null
@example(seed=104)  # model=' ' sent
@example(seed=109)  # a tool call with an empty name sent
@example(seed=137)  # an integer beyond 64 bits -> TypeError
@example(seed=149)  # top_k=-1 sent
@example(seed=2405)  # presence_penalty=4 sent
@example(seed=2255)  # repetition_penalty=False sent
def test_random_requests_are_refused_typed_or_built_valid(seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        assert request_failures(core_request(random.Random(seed)), CLIENTS) == []


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"top_k": -1}, "top_k"),
        ({"repetition_penalty": 0}, "repetition_penalty"),
        ({"presence_penalty": 2.5}, "presence_penalty"),
        ({"temperature": 2.0}, "temperature"),
        ({"temperature": "0.5"}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"max_tokens": math.inf}, "max_tokens"),
        ({"max_tokens": 10.0}, "max_tokens"),
        ({"seed": 2**70}, "seed"),
        ({"logprobs": 1}, "logprobs"),
        ({"extra": {"logit_bias": {"5": math.nan}}}, "extra"),
        ({"extra": {"big": 2**70}}, "extra"),
        ({"model": ""}, "model"),
        ({"messages": [Message("user", "bad \ud800 text")]}, "messages[0].content"),
        ({"messages": [Message("user", "x"), Message("assistant", "", tool_calls=(ToolCall("c", "", "{}"),))]},
         "messages[1].tool_calls[0].name"),
    ],
)
def test_a_bad_argument_is_a_typed_error_naming_it(options: dict[str, object], named: str) -> None:
    request = ChatRequest(**{"model": "qwen-plus", "messages": [Message("user", "Hi")], **options})  # type: ignore[arg-type]
    for client in CLIENTS:
        with pytest.raises(InvalidRequestError, match=named.replace("[", r"\[").replace("]", r"\]")):
            client.prepare_chat(request, stream=False)


def test_valid_boundaries_are_accepted() -> None:
    request = ask(temperature=0, top_p=1, top_k=0, repetition_penalty=0.01, presence_penalty=-2, max_tokens=1,
                  seed=0, n=4, top_logprobs=5, extra={"logit_bias": {5: -100}})
    for client in CLIENTS:
        assert client.prepare_chat(request, stream=False).body


# -- adapters over real sockets ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["compatible", "dashscope"])
def answering(request: pytest.FixtureRequest) -> Iterator[tuple[str, FaultServer]]:
    api = str(request.param)
    with FaultServer() as server:
        server.script([ANSWERS[api]], head=sse_head(content_type="application/json"))
        yield api, server


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=1)
def test_chat_qwen_refuses_typed_or_sends_valid_bodies(answering: tuple[str, FaultServer], seed: int) -> None:
    from langchain_qwen import ChatQwen

    api, server = answering
    llm = ChatQwen(model="qwen-plus", api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0)
    texts, options, calls = random_request_args(random.Random(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        call = lambda: llm.invoke(langchain_messages(texts, calls), **options)  # noqa: E731
        assert adapter_failures(call, server.requests, api) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_llama_index_qwen_refuses_typed_or_sends_valid_bodies(answering: tuple[str, FaultServer], seed: int) -> None:
    from llama_index_qwen import Qwen

    api, server = answering
    llm = Qwen(model="qwen-plus", api=api, api_key=API_KEY, base_url=server.base_url, max_retries=0)
    texts, options, calls = random_request_args(random.Random(seed))
    messages = llama_index_messages(texts, calls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        assert adapter_failures(lambda: llm.chat(messages, **options), server.requests, api) == []
