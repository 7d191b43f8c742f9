"""``Qwen``: a LlamaIndex ``FunctionCallingLLM`` for Alibaba Qwen models on either DashScope protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from contextlib import aclosing, closing
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts.base import PromptTemplate
from llama_index.core.types import BasePydanticProgram, Model
from llama_index_instrumentation import get_dispatcher
from pydantic import AliasChoices

from llama_index_qwen._batch_api import LLMBatchApi
from llama_index_qwen._connection import QwenConnection
from llama_index_qwen._fast import memoised_payload, store_span_signatures
from llama_index_qwen._messages import to_qwen_messages, to_qwen_response_format, to_qwen_tool_choice, to_qwen_tools
from llama_index_qwen._responses import completion_from_chat, from_qwen_result, keep_first_tool_call, tool_selections
from llama_index_qwen._stream import ChatStream
from llama_index_qwen._structured import JsonSchemaProgram, structured_kwargs, structured_strategy
from qwen_core.arguments import (
    ALIASES,
    CHAT_OPTIONS,
    InstanceOptions,
    call_options,
    call_timeout,
    instance_options,
    split_pass_through,
    unknown_argument,
)
from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelInfo
from qwen_core.types import Api, ChatRequest, ToolSpec

if TYPE_CHECKING:
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.tools.types import BaseTool

    from qwen_core.client import QwenClient

dispatcher = get_dispatcher(__name__)

#: Sampling and feature options that can be set on the instance and overridden per call.
_INSTANCE_OPTIONS = (
    "temperature", "top_p", "top_k", "max_tokens", "seed", "stop", "repetition_penalty", "presence_penalty",
    "enable_thinking", "thinking_budget", "enable_search", "search_options", "logprobs", "top_logprobs",
)
#: Per-call keywords converted here (the typed options, ``extra_body`` and ``extra_headers`` are taken apart by
#: :func:`qwen_core.arguments.call_options`); ``extra`` is the older spelling of ``extra_body``.
_CALL_CONVERTED = frozenset(
    {"model", "tools", "tool_choice", "parallel_tool_calls", "response_format", "extra", "timeout"}
)
#: Every keyword a call accepts.
_CALL_KEYWORDS = frozenset({*CHAT_OPTIONS, *ALIASES, *_CALL_CONVERTED, "extra_body", "extra_headers"})


class Qwen(LLMBatchApi, QwenConnection, FunctionCallingLLM):
    """Alibaba Qwen chat models (DashScope / Model Studio) as a LlamaIndex function-calling LLM.

    Both wire protocols are first-class: ``api="compatible"`` (the OpenAI-compatible endpoint, default) and
    ``api="dashscope"`` (the native API). Limits and capabilities come from the model catalogue, so
    ``metadata`` reports each model's real context window and output limit, and no flags are needed for tool
    calling, reasoning, images or structured output.

    Setup:
        ``pip install "qwen-integrations[llama-index]"`` and ``export DASHSCOPE_API_KEY=sk-...``. For offline
        tests, point ``base_url`` at the bundled emulator (``qwen-emulator`` or ``qwen_core.emulator.Emulator``).

    Args:
        model: model name, e.g. ``"qwen-plus"``, ``"qwen3-max"``, ``"qwen3-vl-plus"``.
        api_key: DashScope API key; defaults to ``DASHSCOPE_API_KEY``. Never shown in repr or serialized.
        api: ``"compatible"`` or ``"dashscope"``.
        region: ``"cn-beijing"`` (default), ``"ap-southeast-1"``, ``"us-east-1"``, ``"cn-hongkong"``.
        base_url: explicit service URL (wins over ``region``; defaults to ``DASHSCOPE_BASE_URL``).
        workspace: Model Studio workspace id (defaults to ``DASHSCOPE_WORKSPACE_ID``).
        temperature, top_p, top_k, seed, stop, repetition_penalty, presence_penalty: sampling options.
        max_tokens: output cap; ``None`` leaves the service's default.
        enable_thinking, thinking_budget: reasoning switch and budget for hybrid-thinking models.
        enable_search, search_options: web search.
        timeout, max_retries: transport settings (retries happen before the first byte only).
        default_headers: headers for every request (per call: ``extra_headers=``; ``extra_body=`` adds body keys).
        total_timeout, proxy, verify, cert, http_client, http_async_client: network settings.
        additional_kwargs: request options the library does not model, sent as-is. Precedence: per call >
            fields > ``additional_kwargs``. Other libraries' spellings (``model_name``, ``api_base``,
            ``max_completion_tokens``, ...) are accepted; unknown arguments raise ``UnknownArgumentError``.
        model_info_overrides (or model_info): overrides of the catalogue's facts (e.g. ``{"context_window": 65536}``).

    Instantiate:
        ```python
        from llama_index_qwen import Qwen

        llm = Qwen(model="qwen-plus", temperature=0.2)
        llm = Qwen(model="qwen-plus", api="dashscope", region="ap-southeast-1")
        ```

    Chat and complete:
        ```python
        from llama_index.core.llms import ChatMessage

        response = llm.chat([ChatMessage(role="user", content="Hello")])
        print(response.message.content, response.additional_kwargs["total_tokens"])
        print(llm.complete("Say hi").text)
        ```

    Stream:
        ```python
        for chunk in llm.stream_chat([ChatMessage(role="user", content="Tell me a story")]):
            print(chunk.delta, end="")
        ```

    Async:
        ```python
        response = await llm.achat([ChatMessage(role="user", content="Hello")])
        async for chunk in await llm.astream_complete("Count to five"):
            print(chunk.delta, end="")
        ```

    Tools:
        ```python
        from llama_index.core.agent.workflow import FunctionAgent
        from llama_index.core.tools import FunctionTool

        def get_weather(city: str) -> str:
            \"\"\"Current weather in a city.\"\"\"
            return f"Sunny in {city}"

        tool = FunctionTool.from_defaults(get_weather)
        response = llm.chat_with_tools([tool], user_msg="Weather in Hangzhou?")
        calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        agent = FunctionAgent(tools=[tool], llm=llm)
        print(await agent.run("Weather in Hangzhou and Shanghai?"))
        ```

    Structured output:
        ```python
        from pydantic import BaseModel
        from llama_index.core.prompts import PromptTemplate

        class City(BaseModel):
            name: str
            country: str

        city = llm.structured_predict(City, PromptTemplate("Describe {place} as JSON"), place="Hangzhou")
        sllm = llm.as_structured_llm(City)
        ```

    Batch API (the service's asynchronous batch jobs at half price; ``batch_api_*`` fields set polling/progress):
        ```python
        conversations = [[ChatMessage(role="user", content="Hi")], [ChatMessage(role="user", content="Bye")]]
        job_id = llm.batch_api_submit(conversations)
        llm.batch_api_status(job_id).status       # "in_progress", ... "completed"
        responses = llm.batch_api_retrieve(job_id)  # ChatResponse (or typed error) per conversation, in order
        ```

    Reasoning and usage:
        ```python
        llm = Qwen(model="qwen-plus", enable_thinking=True)
        response = llm.chat([ChatMessage(role="user", content="Is 97 prime?")])
        thinking = [b for b in response.message.blocks if b.block_type == "thinking"]
        print(response.additional_kwargs["reasoning_tokens"], response.raw["request_id"])
        for chunk in llm.stream_chat([ChatMessage(role="user", content="Why?")]):
            print(chunk.additional_kwargs.get("thinking_delta") or chunk.delta, end="")
        ```
    """

    escape_hatch: ClassVar[str | None] = "additional_kwargs"

    model: str = Field(
        default="qwen-plus", validation_alias=AliasChoices("model", "model_name"), description="The Qwen model name."
    )
    api: Api = Field(default="compatible", description="'compatible' (OpenAI-compatible) or 'dashscope' (native).")
    temperature: float | None = Field(default=None, description="Sampling temperature, [0, 2).")
    top_p: float | None = Field(default=None, description="Nucleus sampling, (0, 1].")
    top_k: int | None = Field(default=None, description="Top-k sampling.")
    max_tokens: int | None = Field(
        default=None,
        validation_alias=AliasChoices("max_tokens", "max_completion_tokens"),
        description="Output token cap (alias max_completion_tokens); None = the service's default.",
    )
    seed: int | None = Field(default=None, description="Random seed.")
    stop: str | list[str] | list[int] | list[list[int]] | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences"),
        description="Stop sequences: a string, strings, token ids or token-id lists.",
    )
    repetition_penalty: float | None = Field(default=None, description="Repetition penalty.")
    presence_penalty: float | None = Field(default=None, description="Presence penalty, [-2, 2].")
    enable_thinking: bool | None = Field(default=None, description="Reasoning switch of hybrid models.")
    thinking_budget: int | None = Field(default=None, description="Maximum reasoning tokens.")
    enable_search: bool | None = Field(default=None, description="Let the model search the web.")
    search_options: dict[str, Any] | None = Field(default=None, description="Web search options.")
    logprobs: bool | None = Field(default=None, description="Return token log-probabilities.")
    top_logprobs: int | None = Field(default=None, description="Alternatives per token with logprobs, [0, 5].")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Options the library does not model, sent as-is; a key naming a typed option is that option, "
        "below the field.",
    )
    model_info_overrides: dict[str, Any] | None = Field(
        default=None,
        validation_alias=AliasChoices("model_info_overrides", "model_info"),
        description="Overrides of the catalogue's facts for this model (alias model_info).",
    )

    _payload: tuple[tuple[Any, ...], dict[str, Any]] | None = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        split_pass_through(self.additional_kwargs, "additional_kwargs")  # reserved keys fail here

    @classmethod
    def class_name(cls) -> str:
        return "Qwen_LLM"

    @property
    def metadata(self) -> LLMMetadata:
        info = self._info()
        return LLMMetadata(
            context_window=info.context_window,
            num_output=self.max_tokens or info.max_output_tokens,
            is_chat_model=True,
            is_function_calling_model=info.supports_tools,
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    def to_payload(self) -> dict[str, Any]:
        """``{"class_name": ..., **metadata.model_dump()}`` (what the callbacks emit on every call), memoised.

        The metadata depends only on the model's facts, ``model`` and ``max_tokens``, so the dump is kept until
        one of them changes (the facts are looked up every time, so ``model_info_overrides`` edits and catalogue
        registrations are seen). Each call returns a new dict; its values are immutable.
        """
        if type(self).metadata is not Qwen.metadata:  # a subclass computes its own metadata: no shortcut
            return super().to_payload()
        return memoised_payload(self, (self._info(), self.model, self.max_tokens), super().to_payload)

    # -- plumbing (shared by every method) ----------------------------------------------------------------

    def _info(self) -> ModelInfo:
        return DEFAULT_CATALOGUE.chat_model(self.model, **(self.model_info_overrides or {}))

    def _get_client(self) -> QwenClient:
        """The one client of this instance, created on first use and reused (pooled connections)."""
        return self.client

    def _instance_options(self) -> InstanceOptions:
        """Fields over ``additional_kwargs``, computed once per field set (cached with the client)."""
        return instance_options(self, _INSTANCE_OPTIONS)

    def _request(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> ChatRequest:
        """The core request: per-call keywords over fields over ``additional_kwargs``; unknown keywords raise."""
        call = call_options(self._instance_options(), kwargs)
        values: dict[str, Any] = call.options
        for name, value in call.rest.items():
            if name not in _CALL_CONVERTED:
                raise unknown_argument(name, _CALL_KEYWORDS, "Qwen call", "extra_body")
            if value is not None:
                values[name] = value
        extra = values.pop("extra", None)
        if extra:
            call.extra.update(extra)
        values.setdefault("model", self.model)
        if "tools" in values:
            values["tools"] = _tool_specs(values["tools"])
        if "tool_choice" in values:
            values["tool_choice"] = to_qwen_tool_choice(values["tool_choice"], tool_required=False)
        if "response_format" in values:
            values["response_format"] = to_qwen_response_format(values["response_format"])
        if "stop" in values and not isinstance(values["stop"], str):
            values["stop"] = tuple(values["stop"])  # a string stays one: tuple("ab") would split it
        if "timeout" in values:
            values["timeout"] = call_timeout(values["timeout"])
        return ChatRequest(
            messages=to_qwen_messages(messages), extra=call.extra, extra_headers=call.headers, **values
        )

    def _stream(self, request: ChatRequest) -> ChatResponseGen:
        stream = ChatStream(request.model)
        # the client's stream is a generator (typed as an iterator): close it if our consumer stops early
        deltas_gen = self._get_client().stream(request, self._info())
        with closing(deltas_gen) as deltas:
            for delta in deltas:
                response = stream.add(delta)
                if response is not None:
                    yield response
        stream.finish()

    async def _astream(self, request: ChatRequest) -> ChatResponseAsyncGen:
        stream = ChatStream(request.model)
        deltas_gen = self._get_client().astream(request, self._info())
        async with aclosing(deltas_gen) as deltas:
            async for delta in deltas:
                response = stream.add(delta)
                if response is not None:
                    yield response
        stream.finish()

    def _stream_completion(self, request: ChatRequest) -> CompletionResponseGen:
        with closing(self._stream(request)) as responses:
            for response in responses:
                yield completion_from_chat(response)

    async def _astream_completion(self, request: ChatRequest) -> CompletionResponseAsyncGen:
        async with aclosing(self._astream(request)) as responses:
            async for response in responses:
                yield completion_from_chat(response)

    # -- chat and completion ------------------------------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(messages, kwargs)
        return from_qwen_result(self._get_client().chat(request, self._info()))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._request(messages, kwargs)
        return from_qwen_result(await self._get_client().achat(request, self._info()))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream(self._request(messages, kwargs))

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return self._astream(self._request(messages, kwargs))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        request = self._request([ChatMessage(role=MessageRole.USER, content=prompt)], kwargs)
        return completion_from_chat(from_qwen_result(self._get_client().chat(request, self._info())))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        request = self._request([ChatMessage(role=MessageRole.USER, content=prompt)], kwargs)
        return completion_from_chat(from_qwen_result(await self._get_client().achat(request, self._info())))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        return self._stream_completion(self._request([ChatMessage(role=MessageRole.USER, content=prompt)], kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return self._astream_completion(
            self._request([ChatMessage(role=MessageRole.USER, content=prompt)], kwargs)
        )

    # -- tool calling ----------------------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs for a tool-calling turn (the caller's history list is never modified)."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if tools:
            prepared["tools"] = to_qwen_tools(tools, strict=strict)
            prepared["tool_choice"] = to_qwen_tool_choice(tool_choice, tool_required)
            prepared["parallel_tool_calls"] = allow_parallel_tool_calls
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        return response if allow_parallel_tool_calls else keep_first_tool_call(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls of a response or of a streamed chunk (partial arguments never raise)."""
        selections = tool_selections(response)
        if not selections and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but the response has none.")
        return selections

    # -- structured output -------------------------------------------------------------------------------------

    def _structured_program(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: Mapping[str, Any] | None
    ) -> tuple[BasePydanticProgram[Model], dict[str, Any]]:
        """The program for this model (json_schema or tools, from the catalogue) and its call options."""
        from llama_index.core.program.function_program import FunctionCallingProgram
        from llama_index.core.program.utils import get_program_for_llm

        prompt = prompt.model_copy()  # LlamaIndex's text program sets an output parser on its prompt: not the caller's
        strategy = structured_strategy(self._info(), self.pydantic_program_mode)
        if strategy is None:
            program = get_program_for_llm(output_cls, prompt, self, pydantic_program_mode=self.pydantic_program_mode)
            return program, dict(llm_kwargs or {})
        kwargs = structured_kwargs(strategy, llm_kwargs, output_cls)
        if strategy == "json_schema":
            return JsonSchemaProgram(output_cls, prompt, self), kwargs
        return FunctionCallingProgram.from_defaults(output_cls=output_cls, llm=self, prompt=prompt), kwargs

    @dispatcher.span
    def structured_predict(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Structured output: json_schema where the model supports it, tool calling otherwise."""
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt,
                                                        template_args=prompt_args))
        program, kwargs = self._structured_program(output_cls, prompt, llm_kwargs)
        result = _one(output_cls, program(llm_kwargs=kwargs, **prompt_args))
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async :meth:`structured_predict`."""
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt,
                                                        template_args=prompt_args))
        program, kwargs = self._structured_program(output_cls, prompt, llm_kwargs)
        result = _one(output_cls, await program.acall(llm_kwargs=kwargs, **prompt_args))
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        program, kwargs = self._structured_program(output_cls, prompt, llm_kwargs)
        return program.stream_call(llm_kwargs=kwargs, **prompt_args)

    async def _structured_astream_call(
        self, output_cls: type[Model], prompt: PromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        program, kwargs = self._structured_program(output_cls, prompt, llm_kwargs)
        return await program.astream_call(llm_kwargs=kwargs, **prompt_args)

    # -- lifecycle ---------------------------------------------------------------------------------------------------


def _tool_specs(tools: Sequence[ToolSpec | BaseTool]) -> tuple[ToolSpec, ...]:
    """Per-call ``tools=``: core specs pass through, LlamaIndex tools are converted."""
    return tuple(tool if isinstance(tool, ToolSpec) else to_qwen_tools([tool])[0] for tool in tools)


def _one(output_cls: type[Model], result: Any) -> Model:
    if isinstance(result, list):
        result = result[0] if result else None
    if not isinstance(result, BaseModel):
        raise TypeError(f"expected a {output_cls.__name__} instance but got {type(result).__name__}: {result!r}")
    return result  # type: ignore[return-value]


store_span_signatures(Qwen)  # the dispatcher inspects these on every call: see _fast


__all__ = ["Qwen"]
