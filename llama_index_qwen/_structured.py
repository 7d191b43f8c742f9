"""Structured output helpers: which strategy a model supports, and the request options each strategy needs.

Strategy is data-driven (the catalogue): ``json_schema`` response format where the model supports it natively,
forced tool calling where it supports tools, ``json_schema`` again otherwise. What a model that thinks cannot be
sent (forced tool choice, JSON formats) is handled once, in the core (``qwen_core.forced_output``): thinking off
on hybrid models, a checked and corrected "guided" call on thinking-only ones.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal

from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.program.streaming_utils import process_streaming_content_incremental
from llama_index.core.prompts.base import BasePromptTemplate
from llama_index.core.types import BasePydanticProgram, Model, PydanticProgramMode

from llama_index_qwen._messages import inline_refs
from qwen_core.catalogue import ModelInfo
from qwen_core.errors import ResponseParseError
from qwen_core.types import ResponseFormat

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse
    from llama_index.core.llms.llm import LLM
    from llama_index.core.program.utils import FlexibleModel

Strategy = Literal["json_schema", "tools"]

_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def structured_strategy(info: ModelInfo, mode: PydanticProgramMode) -> Strategy | None:
    """How to get structured output from ``info``'s model; ``None`` means "let LlamaIndex decide" (``mode``)."""
    if mode != PydanticProgramMode.DEFAULT:
        return None
    if info.supports_json_schema or not info.supports_tools:
        return "json_schema"
    return "tools"


def response_format_for(output_cls: type[BaseModel]) -> ResponseFormat:
    """A ``json_schema`` response format for a Pydantic class (name sanitised as the service requires)."""
    schema = inline_refs(output_cls.model_json_schema())
    return ResponseFormat(
        type="json_schema",
        schema=schema,
        name=_NAME.sub("_", output_cls.__name__)[:64] or "response",
        description=schema.get("description"),
    )


def structured_kwargs(
    strategy: Strategy, llm_kwargs: Mapping[str, Any] | None, output_cls: type[BaseModel]
) -> dict[str, Any]:
    """The per-call options for ``strategy`` (the caller's ``llm_kwargs`` are copied, never changed)."""
    kwargs = dict(llm_kwargs or {})
    if strategy == "json_schema":
        kwargs.pop("tool_choice", None)
        kwargs["response_format"] = response_format_for(output_cls)
    return kwargs


def parse_structured(output_cls: type[Model], response: ChatResponse) -> Model:
    """Validate the JSON answer of a ``json_schema`` request into ``output_cls``."""
    text = response.message.content or ""
    if not text.strip():
        raw = response.raw if isinstance(response.raw, Mapping) else {}
        raise ResponseParseError(
            f"the model returned no JSON for {output_cls.__name__}", request_id=raw.get("request_id")
        )
    return output_cls.model_validate_json(text)


class JsonSchemaProgram(BasePydanticProgram[Model], Generic[Model]):
    """A Pydantic program that asks for a ``json_schema`` response format and validates the answer."""

    def __init__(self, output_cls: type[Model], prompt: BasePromptTemplate, llm: LLM) -> None:
        self._output_cls = output_cls
        self._prompt = prompt
        self._llm = llm

    @property
    def output_cls(self) -> type[Model]:
        return self._output_cls

    def _messages(self, prompt_args: Mapping[str, Any]) -> list[ChatMessage]:
        return self._llm._extend_messages(self._prompt.format_messages(llm=self._llm, **prompt_args))

    def __call__(self, *args: Any, llm_kwargs: Mapping[str, Any] | None = None, **kwargs: Any) -> Model:
        response = self._llm.chat(self._messages(kwargs), **(llm_kwargs or {}))
        return parse_structured(self._output_cls, response)

    async def acall(self, *args: Any, llm_kwargs: Mapping[str, Any] | None = None, **kwargs: Any) -> Model:
        response = await self._llm.achat(self._messages(kwargs), **(llm_kwargs or {}))
        return parse_structured(self._output_cls, response)

    def stream_call(
        self, *args: Any, llm_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Generator[Model | FlexibleModel, None, None]:
        options = dict(llm_kwargs or {})
        current: Model | FlexibleModel | None = None
        for response in self._llm.stream_chat(self._messages(kwargs), **options):
            current = process_streaming_content_incremental(response, self._output_cls, current)
            yield current

    async def astream_call(
        self, *args: Any, llm_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> AsyncGenerator[Model | FlexibleModel, None]:
        options = dict(llm_kwargs or {})
        responses = await self._llm.astream_chat(self._messages(kwargs), **options)

        async def gen() -> AsyncGenerator[Model | FlexibleModel, None]:
            current: Model | FlexibleModel | None = None
            async for response in responses:
                current = process_streaming_content_incremental(response, self._output_cls, current)
                yield current

        return gen()
