"""Every LlamaIndex structured path on models that think (qwen_core.forced_output's policy), against the emulator,
on both protocols, sync and async; the caller's prompt objects are never changed."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.output_parsers import PydanticOutputParser
from llama_index.core.program import FunctionCallingProgram, LLMTextCompletionProgram
from llama_index.core.prompts import PromptTemplate
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.selectors import PydanticSingleSelector
from llama_index.core.tools import FunctionTool, QueryEngineTool
from pydantic import BaseModel

from qwen_core.emulator import Disobey, Emulator
from qwen_core.errors import ModelNonComplianceError
from tests.llama_index.helpers import AGENT_WARNINGS, LLMFactory

MODELS = ("qwen-plus", "qwen3.5-plus", "qwen3-32b", "qwq-plus")
TEXT = "Alice is 30 years old."

pytestmark = AGENT_WARNINGS


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


def _prompt() -> PromptTemplate:
    return PromptTemplate("Extract the person from: {text}")


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    yield
    gc.collect()  # agents' unclosed aiosqlite connections are collected here, under this module's filters


@pytest.mark.parametrize("model", MODELS)
async def test_structured_predict_sync_async_stream(make: LLMFactory, model: str) -> None:
    llm, prompt = make(model=model), _prompt()
    assert isinstance(llm.structured_predict(Person, prompt, text=TEXT), Person)
    assert isinstance(await llm.astructured_predict(Person, prompt, text=TEXT), Person)
    assert isinstance(list(llm.stream_structured_predict(Person, prompt, text=TEXT))[-1], Person)
    outputs = [p async for p in await llm.astream_structured_predict(Person, prompt, text=TEXT)]
    assert isinstance(outputs[-1], Person)
    assert prompt.output_parser is None and prompt.template == "Extract the person from: {text}"


@pytest.mark.parametrize("model", MODELS)
async def test_as_structured_llm(make: LLMFactory, model: str) -> None:
    sllm = make(model=model).as_structured_llm(Person)
    assert isinstance(sllm.chat([ChatMessage(role="user", content=TEXT)]).raw, Person)
    assert isinstance((await sllm.achat([ChatMessage(role="user", content=TEXT)])).raw, Person)


@pytest.mark.parametrize("model", MODELS)
async def test_function_calling_program(make: LLMFactory, model: str) -> None:
    program = FunctionCallingProgram.from_defaults(output_cls=Person, prompt=_prompt(), llm=make(model=model))
    assert isinstance(program(text=TEXT), Person)
    assert isinstance(await program.acall(text=TEXT), Person)


@pytest.mark.parametrize("model", MODELS)
async def test_text_completion_program(emu: Emulator, make: LLMFactory, model: str) -> None:
    """LlamaIndex's text program puts a JSON schema in the prompt; the emulated model answers with an instance."""
    prompt = _prompt()
    program = LLMTextCompletionProgram.from_defaults(
        output_parser=PydanticOutputParser(output_cls=Person), prompt=prompt, llm=make(model=model)
    )
    assert isinstance(program(text=TEXT), Person)
    assert isinstance(await program.acall(text=TEXT), Person)


@pytest.mark.parametrize("model", MODELS)
async def test_selector_and_router_query_engine(make: LLMFactory, model: str) -> None:
    llm = make(model=model)
    selector = PydanticSingleSelector.from_defaults(llm=llm)
    result = selector.select(["Questions about cities", "Questions about people"], "Who is Alice?")
    assert len(result.selections) == 1
    index = VectorStoreIndex.from_documents([Document(text="Alice is 30.")], embed_model=MockEmbedding(embed_dim=8))
    tools = [
        QueryEngineTool.from_defaults(index.as_query_engine(llm=llm), description="People facts"),
        QueryEngineTool.from_defaults(index.as_query_engine(llm=llm), description="City facts"),
    ]
    engine = RouterQueryEngine(selector=selector, query_engine_tools=tools, llm=llm)
    assert str(engine.query("How old is Alice?"))
    assert str(await engine.aquery("How old is Alice?"))


@pytest.mark.parametrize("model", MODELS)
async def test_function_agent_with_tool_required(make: LLMFactory, model: str) -> None:
    calls: list[str] = []

    def get_age(name: str) -> str:
        """Get the age of a person."""
        calls.append(name)
        return f"{name} is 30"

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_age)], llm=make(model=model), tool_required=True)
    handler = agent.run("How old is Alice?")
    async for _ in handler.stream_events():
        if calls:
            break
    await handler.cancel_run()
    assert calls


@pytest.mark.parametrize("model", MODELS)
async def test_query_engine_with_output_cls(make: LLMFactory, model: str) -> None:
    index = VectorStoreIndex.from_documents([Document(text=TEXT)], embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=make(model=model), output_cls=Person)
    assert isinstance(engine.query("Who is mentioned?").response, Person)
    assert isinstance((await engine.aquery("Who is mentioned?")).response, Person)


async def test_non_compliance_is_retried_then_raised(emu: Emulator, make: LLMFactory) -> None:
    llm = make(model="qwq-plus")
    emu.enqueue(Disobey())
    assert isinstance(llm.structured_predict(Person, _prompt(), text=TEXT), Person)
    assert len(emu.requests) == 2
    emu.enqueue(Disobey(), Disobey(), Disobey())
    with pytest.raises(ModelNonComplianceError) as info:
        await llm.astructured_predict(Person, _prompt(), text=TEXT)
    assert info.value.attempts == 3 and info.value.result.reasoning
