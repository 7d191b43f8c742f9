"""Structured output, reasoning, secrets and LangChain runnables, on both protocols."""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.load import dumpd, dumps
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.runnables.history import RunnableWithMessageHistory
from pydantic import BaseModel
from typing_extensions import TypedDict

from qwen_core.emulator import HTTPFault, ScriptedReply, ScriptedToolCall
from tests._support.constants import API_KEY
from tests._support.wire import wire_options
from tests.langchain.helpers import ModelFactory


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_SCHEMA = Person.model_json_schema()
PERSON_JSON = '{"name": "Ada", "age": 36}'


# -- structured output ---------------------------------------------------------------------------


@pytest.mark.parametrize("schema", [Person, PersonDict, PERSON_SCHEMA], ids=["pydantic", "typeddict", "json"])
def test_structured_output_function_calling(make: ModelFactory, emu: Any, api: str, schema: Any) -> None:
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall(
        "Person" if schema is not PersonDict else "PersonDict", PERSON_JSON)]))
    model = make()
    result = model.with_structured_output(schema, method="function_calling").invoke("Ada, 36")
    expected: Any = Person(name="Ada", age=36) if schema is Person else {"name": "Ada", "age": 36}
    assert result == expected
    options = wire_options(emu.requests.last.json, api)
    assert options["tool_choice"]["function"]["name"] in ("Person", "PersonDict")
    assert options["parallel_tool_calls"] is False


@pytest.mark.parametrize("method", ["json_mode", "json_schema"])
@pytest.mark.parametrize("schema", [Person, PersonDict, PERSON_SCHEMA], ids=["pydantic", "typeddict", "json"])
def test_structured_output_json(make: ModelFactory, emu: Any, api: str, method: str, schema: Any) -> None:
    emu.enqueue(ScriptedReply(text=PERSON_JSON))
    runnable = make().with_structured_output(schema, method=method, strict=True if method == "json_schema" else None)
    result = runnable.invoke("Return the person as JSON: Ada, 36")
    assert result == (Person(name="Ada", age=36) if schema is Person else {"name": "Ada", "age": 36})
    response_format = wire_options(emu.requests.last.json, api)["response_format"]
    if method == "json_mode":
        assert response_format == {"type": "json_object"}
    else:
        assert response_format["type"] == "json_schema"
        assert response_format["json_schema"]["schema"]["properties"]["age"]["type"] == "integer"
        assert response_format["json_schema"]["strict"] is True


def test_structured_output_include_raw(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(ScriptedReply(text="not json"))
    out = make().with_structured_output(Person, method="json_mode", include_raw=True).invoke("json please")
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] is None
    assert out["parsing_error"] is not None


def test_json_schema_without_native_support_is_guided(make: ModelFactory, emu: Any, api: str) -> None:
    """qwen-max has no json_schema format: the schema goes as instructions and the answer is checked."""
    person = make(model="qwen-max").with_structured_output(Person, method="json_schema").invoke("Ada Lovelace, 36")
    assert isinstance(person, Person)
    body = emu.requests.last.json
    assert "response_format" not in (body if api == "compatible" else body["parameters"])


def test_structured_output_does_not_mutate_the_model(make: ModelFactory, emu: Any) -> None:
    model = make()
    before = model.model_dump()
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("Person", PERSON_JSON)]))
    model.with_structured_output(Person).invoke("Ada")
    assert model.model_dump() == before
    model.invoke("plain")
    assert "tools" not in wire_options(emu.requests.last.json, model.api)


class _Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self.metadata.append(kwargs.get("options") or {})


def test_callbacks_receive_ls_structured_output_format(make: ModelFactory, emu: Any) -> None:
    recorder = _Recorder()
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("Person", PERSON_JSON)]))
    make().with_structured_output(Person).invoke("Ada", config={"callbacks": [recorder]})
    fmt = recorder.metadata[0]["ls_structured_output_format"]
    assert fmt["kwargs"]["method"] == "function_calling"
    assert fmt["schema"]["title"] == "Person"
    assert set(fmt["schema"]["properties"]) == {"name", "age"}


# -- reasoning -----------------------------------------------------------------------------------


def test_reasoning_invoke_on_thinking_only_model(make: ModelFactory, emu: Any, api: str) -> None:
    emu.enqueue(ScriptedReply(reasoning="Let me think.", text="42"))
    message = make(model="qwq-plus").invoke("meaning of life?")
    assert message.content == "42"
    assert message.additional_kwargs["reasoning_content"] == "Let me think."
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": "Let me think."}
    assert message.usage_metadata is not None
    assert emu.requests.last.json.get("stream") is True if api == "compatible" else True  # streamed internally


def test_reasoning_stream(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(ScriptedReply(reasoning="step one, step two", text="done", chunk_size=5))
    chunks = list(make(enable_thinking=True).stream("think"))
    reasoning = [c.additional_kwargs["reasoning_content"] for c in chunks if c.additional_kwargs]
    assert len(reasoning) > 1 and "".join(reasoning) == "step one, step two"
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.additional_kwargs["reasoning_content"] == "step one, step two"
    assert total.content == "done"
    assert sum(1 for c in chunks if c.usage_metadata) == 1


def test_reasoning_with_tool_calls_is_kept(make: ModelFactory, emu: Any) -> None:
    def lookup(city: str) -> str:
        """Look up the weather."""
        return city

    call = ScriptedToolCall("lookup", {"city": "Oslo"})
    reply = ScriptedReply(reasoning="I need the weather tool.", tool_calls=[call])
    emu.enqueue(reply, reply)
    model = make(enable_thinking=True).bind_tools([lookup])
    message = model.invoke("weather in Oslo?")
    assert isinstance(message, AIMessage)
    assert message.additional_kwargs["reasoning_content"] == "I need the weather tool."
    assert message.tool_calls[0]["args"] == {"city": "Oslo"}
    blocks = [b["type"] for b in message.content_blocks]
    assert blocks[0] == "reasoning" and "tool_call" in blocks
    chunks = list(model.stream("weather in Oslo?"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    assert total.additional_kwargs["reasoning_content"] == "I need the weather tool."
    assert total.tool_calls[0]["name"] == "lookup"


def test_reasoning_output_version_v1(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(ScriptedReply(reasoning="hmm", text="yes"), ScriptedReply(reasoning="hmm", text="yes"))
    model = make(enable_thinking=True, output_version="v1")
    message = model.invoke("?")
    assert message.content == [{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "yes"}]
    chunks = list(model.stream("?"))
    kinds = [block["type"] for c in chunks for block in c.content if isinstance(block, dict)]
    assert kinds[0] == "reasoning" and "text" in kinds


# -- secrets -------------------------------------------------------------------------------------


def test_key_never_shown(make: ModelFactory, emu: Any, caplog: pytest.LogCaptureFixture) -> None:
    model = make()
    caplog.set_level(logging.DEBUG)
    model.invoke("hi")
    list(model.stream("hi"))
    assert emu.requests.last.headers["authorization"] == f"Bearer {API_KEY}"  # it did reach the service
    for text in (repr(model), str(model), dumps(model), json.dumps(dumpd(model)), caplog.text,
                 str(model.model_dump())):
        assert API_KEY not in text
    assert dumpd(model)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["DASHSCOPE_API_KEY"]}


# -- LangChain runnables -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")
def test_runnable_with_message_history(make: ModelFactory, emu: Any) -> None:
    store: dict[str, InMemoryChatMessageHistory] = {}

    def history(session_id: str) -> InMemoryChatMessageHistory:
        return store.setdefault(session_id, InMemoryChatMessageHistory())

    chain = RunnableWithMessageHistory(make(), history)
    config: Any = {"configurable": {"session_id": "s1"}}
    chain.invoke([HumanMessage("first")], config=config)
    chain.invoke([HumanMessage("second")], config=config)
    assert [m.type for m in store["s1"].messages] == ["human", "ai", "human", "ai"]
    assert store["s1"].messages[-1].content == "Echo: second"
    assert len(emu.requests.last.json.get("messages") or emu.requests.last.json["input"]["messages"]) == 3


def test_with_fallbacks(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(HTTPFault(status=500, code="InternalError"))
    chain = make().with_fallbacks([make(model="qwen-turbo")])
    assert chain.invoke("hi").content == "Echo: hi"
    assert emu.requests.last.json["model"] == "qwen-turbo"


async def test_astream_events(make: ModelFactory, emu: Any) -> None:
    emu.enqueue(ScriptedReply(text="a b c", chunks=["a", " b", " c"]))
    events = [e async for e in make().astream_events("hi", version="v2")]
    streamed = [e["data"]["chunk"].content for e in events if e["event"] == "on_chat_model_stream"]
    assert [s for s in streamed if s] == ["a", " b", " c"]
    end = next(e for e in events if e["event"] == "on_chat_model_end")
    assert end["data"]["output"].usage_metadata is not None
