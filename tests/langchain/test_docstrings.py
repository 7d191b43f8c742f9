"""The ChatQwen docstring examples, run against the emulator on both protocols."""

from __future__ import annotations

from pydantic import BaseModel

from qwen_core.emulator import ScriptedReply, ScriptedToolCall
from tests.langchain.helpers import ModelFactory


class Person(BaseModel):
    name: str
    age: int


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return "sunny"


async def test_docstring_examples(make: ModelFactory, emu: object) -> None:
    llm = make(model="qwen-plus", temperature=0.3)
    emu.enqueue(ScriptedReply(text="J'adore la programmation."))  # type: ignore[attr-defined]
    msg = llm.invoke([("system", "Translate to French."), ("human", "I love programming.")])
    assert msg.content == "J'adore la programmation."
    full = None
    for chunk in llm.stream("Tell me a joke"):
        full = chunk if full is None else full + chunk
    assert full is not None and full.usage_metadata is not None
    assert (await llm.ainvoke("Hello")).content == "Echo: Hello"
    assert [c async for c in llm.astream("Hello")]
    assert len(await llm.abatch(["Hi", "Bye"])) == 2
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("get_weather", {"city": "Paris"}),  # type: ignore[attr-defined]
                                          ScriptedToolCall("get_weather", {"city": "Oslo"})]))
    msg = llm.bind_tools([get_weather], tool_choice="auto", parallel_tool_calls=True).invoke("Weather?")
    assert [c["args"]["city"] for c in msg.tool_calls] == ["Paris", "Oslo"]  # type: ignore[attr-defined]
    emu.enqueue(ScriptedReply(tool_calls=[ScriptedToolCall("Person", {"name": "Ada Lovelace", "age": 36})]))  # type: ignore[attr-defined]
    assert llm.with_structured_output(Person).invoke("Ada Lovelace, 36") == Person(name="Ada Lovelace", age=36)
    emu.enqueue(ScriptedReply(reasoning="r-r-r", text="3"), ScriptedReply(reasoning="r-r-r", text="3"))  # type: ignore[attr-defined]
    msg = make(model="qwq-plus").invoke("How many r's in strawberry?")
    assert msg.additional_kwargs["reasoning_content"] == "r-r-r"
    assert msg.content_blocks[0] == {"type": "reasoning", "reasoning": "r-r-r"}
    v1 = make(model="qwq-plus", output_version="v1").invoke("...")
    assert [b["type"] for b in v1.content] == ["reasoning", "text"]  # type: ignore[index]
    assert llm.get_num_tokens("hello world") == 2
    assert set(msg.response_metadata) >= {"model_name", "finish_reason", "request_id", "model_provider"}
