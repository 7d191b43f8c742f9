"""Tool binding and structured output of ``ChatQwen`` (``bind_tools``, ``with_structured_output``).

Both bind per-call options (``tools``, ``tool_choice``, ``parallel_tool_calls``, ``response_format``) that
``ChatQwen``'s request building converts; a forced choice on a model that thinks follows the core policy
(:mod:`qwen_core.forced_output`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from langchain_qwen._errors import QwenInvalidRequestError, QwenUnsupportedFeatureError
from langchain_qwen._messages import to_qwen_tool_choice
from qwen_core import types as qt

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel as _ChatModel
else:
    _ChatModel = object  # a plain mixin at run time: no second pydantic model to build

StructuredOutputMethod = Literal["function_calling", "json_mode", "json_schema"]


class ToolsAndStructuredOutput(_ChatModel):
    """Mixin for ``ChatQwen`` (before ``BaseChatModel`` in its bases): ``bind_tools`` and
    ``with_structured_output`` over langchain-core's ``bind``."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (any form ``convert_to_openai_tool`` accepts).

        Args:
            tools: tools, Pydantic models, TypedDicts, functions or OpenAI tool dicts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"`` / ``"required"`` (call some tool), a tool name, or
                ``{"type": "function", "function": {"name": ...}}``. A forced choice on a model that thinks follows
                the core policy (``qwen_core.forced_output``): thinking off on hybrid models, otherwise guided.
            strict: ask for strict schema adherence of tool arguments.
            parallel_tool_calls: let the model call several tools in one turn.
            kwargs: further per-call options.
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = _normalise_tool_choice(tool_choice, [t["function"]["name"] for t in formatted])
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable that returns output shaped like ``schema`` (Pydantic class, TypedDict or JSON schema).

        Args:
            schema: the output schema (may be ``None`` only with ``method="json_mode"``).
            method: ``"function_calling"`` (a forced tool call; default), ``"json_mode"`` (JSON object output;
                say "json" in the prompt) or ``"json_schema"`` (schema-constrained output). Every method works on
                every model by the core policy (``qwen_core.forced_output``): natively where the model can, with
                thinking off on hybrid models, otherwise guided (checked and retried; ``ModelNonComplianceError``
                when the model never complies).
            include_raw: return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            strict: ask for strict schema adherence.
            kwargs: further per-call options.

        Raises:
            QwenUnsupportedFeatureError: an unknown method.
        """
        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        if schema is None and method != "json_mode":
            raise ValueError(f"schema is required with method={method!r}")
        llm, parser = self._structured_runnable(schema, method, strict)
        if not include_raw:
            return llm | parser
        parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse.with_fallbacks([fallback], exception_key="parsing_error")

    def _structured_runnable(
        self, schema: dict[str, Any] | type | None, method: str, strict: bool | None
    ) -> tuple[Runnable[LanguageModelInput, BaseMessage], OutputParserLike[Any]]:
        pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        if method == "function_calling":
            tool = convert_to_openai_tool(schema, strict=strict)  # type: ignore[arg-type]
            name = tool["function"]["name"]
            llm = self.bind_tools(
                [tool], tool_choice=name, strict=strict, parallel_tool_calls=False, ls_structured_output_format=trace
            )
            tools_parser: OutputParserLike[Any] = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
                if pydantic else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
            return llm, tools_parser
        json_parser: OutputParserLike[Any] = (
            PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()  # type: ignore[arg-type]
        )
        if method == "json_mode":
            return self.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace), json_parser
        if method == "json_schema":
            function = convert_to_openai_tool(schema, strict=strict)["function"]  # type: ignore[arg-type]
            response_format = {"type": "json_schema", "json_schema": {
                "name": function["name"], "description": function.get("description"),
                "schema": function.get("parameters"), "strict": strict,
            }}
            return self.bind(response_format=response_format, ls_structured_output_format=trace), json_parser
        raise QwenUnsupportedFeatureError(
            f"unknown structured output method {method!r}; use 'function_calling', 'json_mode' or 'json_schema'"
        )


def _normalise_tool_choice(choice: str | dict[str, Any], names: Sequence[str]) -> str | dict[str, Any]:
    """Validate ``choice`` against the bound tools and return its bound form (``"any"`` -> ``"required"``)."""
    mapped = to_qwen_tool_choice(choice)
    if isinstance(mapped, qt.NamedToolChoice):
        if mapped.name not in names:
            raise QwenInvalidRequestError(
                f"tool_choice names {mapped.name!r}, which is not among the bound tools: {', '.join(names)}"
            )
        return {"type": "function", "function": {"name": mapped.name}}
    return str(mapped)
