"""Structured output and agents on models that think, through both adapters: against the real service when
``DASHSCOPE_API_KEY`` is set, else the emulator (the forced-output policy of ``qwen_core.forced_output``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from langchain_qwen import ChatQwen
from llama_index_qwen import Qwen

MODELS = ("qwen-plus", "qwen3.5-plus", "qwen3-32b", "qwq-plus")


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


def get_age(name: str) -> str:
    """Look up the age of a person."""
    return f"{name} is 30 years old"


@pytest.fixture(params=["compatible", "dashscope"])
def chat(request: pytest.FixtureRequest, connection: dict[str, str]) -> Callable[..., ChatQwen]:
    return lambda **fields: ChatQwen(api=request.param, **connection, **fields)


@pytest.mark.parametrize("model", MODELS)
async def test_with_structured_output(chat: Callable[..., Any], model: str) -> None:
    structured = chat(model=model).with_structured_output(Person)
    assert isinstance(await structured.ainvoke("Extract the person: Alice is 30 years old."), Person)


@pytest.mark.parametrize("model", MODELS)
def test_create_agent_tool_strategy(chat: Callable[..., Any], model: str) -> None:
    agent = create_agent(chat(model=model), tools=[get_age], response_format=ToolStrategy(Person))
    result = agent.invoke({"messages": [{"role": "user", "content": "How old is Alice? Use the tool."}]})
    assert isinstance(result["structured_response"], Person)


@pytest.mark.parametrize("model", MODELS)
async def test_llama_index_structured_predict(connection: dict[str, str], model: str) -> None:
    llm = Qwen(model=model, api="dashscope", **connection)
    prompt = PromptTemplate("Extract the person from: {text}")
    assert isinstance(await llm.astructured_predict(Person, prompt, text="Alice is 30 years old."), Person)
    assert prompt.output_parser is None
