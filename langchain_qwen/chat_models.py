"""``ChatQwen``: LangChain chat model for Alibaba's Qwen models on both DashScope protocols."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import aclosing, closing
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import AliasChoices, ConfigDict, Field, model_validator
from typing_extensions import Self

from langchain_qwen._batch_api import ChatBatchApi
from langchain_qwen._connection import QwenConnection
from langchain_qwen._errors import QwenInvalidRequestError, translate_errors
from langchain_qwen._fast import invocation_params, store_signatures
from langchain_qwen._messages import (
    MODEL_PROVIDER,
    StreamConverter,
    from_qwen_result,
    to_qwen_messages,
    to_qwen_response_format,
    to_qwen_tool,
    to_qwen_tool_choice,
)
from langchain_qwen._structured_output import ToolsAndStructuredOutput
from qwen_core import types as qt
from qwen_core.arguments import (
    ALIASES,
    CHAT_OPTIONS,
    call_options,
    call_timeout,
    instance_options,
    split_pass_through,
    unknown_argument,
)
from qwen_core.catalogue import ModelInfo
from qwen_core.limits import limiter_for, throttle_retries
from qwen_core.tokenizer import count_message_tokens, count_tokens

#: Per-call options set by ``bind_tools`` / ``with_structured_output`` (or passed directly).
_CALL_FIELDS = ("tools", "tool_choice", "parallel_tool_calls", "response_format")
#: Per-call keywords langchain-core itself passes (already honoured by it).
_FRAMEWORK_CALL_KEYS = frozenset({"stream", "ls_structured_output_format"})
#: Every keyword a call accepts.
_CALL_KEYWORDS = frozenset(
    {*CHAT_OPTIONS, *ALIASES, *_CALL_FIELDS, *_FRAMEWORK_CALL_KEYS, "model", "stream_usage", "timeout",
     "extra_body", "extra_headers"}
)


class ChatQwen(ToolsAndStructuredOutput, ChatBatchApi, QwenConnection, BaseChatModel):
    """Qwen chat models (Alibaba Cloud Model Studio / DashScope), on the OpenAI-compatible or native API.

    Setup:
        Install ``qwen-integrations[langchain]`` and set your key::

            pip install "qwen-integrations[langchain]"
            export DASHSCOPE_API_KEY="sk-..."

        Offline, point ``base_url`` at the bundled emulator (``qwen-emulator`` or ``qwen_core.emulator.Emulator``).

    Key init args (completion):
        model: model name (alias ``model_name``), default ``"qwen-plus"``.
        temperature, top_p, top_k, max_tokens, seed, stop, n, repetition_penalty, presence_penalty: sampling.
        enable_thinking, thinking_budget: thinking switch and budget on hybrid models.
        enable_search, search_options: web search (results in ``response_metadata["search_info"]``).
        logprobs, top_logprobs: token log probabilities.
        streaming: stream internally on ``invoke``; stream_usage: usage on the last stream chunk (default on).
        model_kwargs: options the service adds later, sent as-is.

    Key init args (client):
        api_key: secret key, from ``DASHSCOPE_API_KEY`` when omitted.
        api: ``"compatible"`` (default) or ``"dashscope"`` (native protocol).
        region / base_url / workspace: where to send requests.
        timeout, max_retries: per-request timeout (s, or ``(connect, read)``) and retries before the first byte.
        default_headers: headers for every request (per call: ``extra_headers=``; ``extra_body=`` adds body keys).
        total_timeout, proxy, verify, cert, http_client, http_async_client: network settings.
        catalogue: a ``qwen_core.catalogue.ModelCatalogue`` of model facts (default: the built-in one).
        model_info_overrides (alias ``model_info``): catalogue facts changed for this model only.
        Other libraries' spellings (``model_name``, ``dashscope_api_key``, ``api_base``, ``request_timeout``,
        ``max_completion_tokens``) are accepted; unknown arguments raise ``UnknownArgumentError``. Precedence:
        per call > fields > ``model_kwargs``. Pickles carry the key (nothing else shows it).

    Instantiate:
        .. code-block:: python

            from langchain_qwen import ChatQwen

            llm = ChatQwen(model="qwen-plus", temperature=0.3, api="dashscope")

    Invoke:
        .. code-block:: python

            msg = llm.invoke([("system", "Translate to French."), ("human", "I love programming.")])
            msg.content            # "J'adore la programmation."

    Stream (token by token; the last chunk carries usage and metadata):
        .. code-block:: python

            full = None
            for chunk in llm.stream("Tell me a joke"):
                full = chunk if full is None else full + chunk
            full.usage_metadata    # {"input_tokens": ..., "output_tokens": ..., "total_tokens": ...}

    Async (native asyncio, never a thread pool):
        .. code-block:: python

            msg = await llm.ainvoke("Hello")
            async for chunk in llm.astream("Hello"):
                ...
            results = await llm.abatch(["Hi", "Bye"])

    Batch API (the service's asynchronous batch jobs, half the price; results within 24 h):
        .. code-block:: python

            batch_llm = ChatQwen(model="qwen-plus", use_batch_api=True)
            answers = batch_llm.batch(["Hi", "Bye"])         # one job; AIMessages in input order
            job_id = llm.batch_api_submit(["Hi", "Bye"])       # or submit now ...
            llm.batch_api_status(job_id).status                # "in_progress", ...
            answers = llm.batch_api_retrieve(job_id)           # ... collect later (any process); batch_api_cancel

    Tool calling:
        .. code-block:: python

            def get_weather(city: str) -> str:
                '''Get the weather of a city.'''
                ...

            llm_tools = llm.bind_tools([get_weather], tool_choice="auto", parallel_tool_calls=True)
            msg = llm_tools.invoke("Weather in Paris and Oslo?")
            msg.tool_calls         # [{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_..."}, ...]

        ``tool_choice`` takes ``"auto"``, ``"none"``, ``"any"``/``"required"``, a tool name or an OpenAI-style dict.
        A forced choice works on every model (``qwen_core.forced_output``): hybrid models answer it with thinking
        off; thinking-only models (or ``enable_thinking=True``) are offered the tool with ``tool_choice="auto"``,
        the answer is checked and corrected, and ``ModelNonComplianceError`` is raised if it never calls the tool.

    Structured output:
        .. code-block:: python

            from pydantic import BaseModel

            class Person(BaseModel):
                name: str
                age: int

            structured = llm.with_structured_output(Person)               # function calling (default)
            structured.invoke("Ada Lovelace, 36")                         # Person(name="Ada Lovelace", age=36)
            llm.with_structured_output(Person, method="json_schema", strict=True)
            llm.with_structured_output(None, method="json_mode")          # say "JSON" in the prompt
            ChatQwen(model="qwq-plus").with_structured_output(Person)     # thinking models too (guided)

    Reasoning (thinking models or ``enable_thinking=True``; invoke streams internally):
        .. code-block:: python

            thinker = ChatQwen(model="qwq-plus")
            msg = thinker.invoke("How many r's in strawberry?")
            msg.additional_kwargs["reasoning_content"]   # the chain of thought
            msg.content_blocks[0]                        # {"type": "reasoning", "reasoning": "..."}
            ChatQwen(model="qwq-plus", output_version="v1").invoke("...").content  # reasoning + text blocks

    Token usage:
        .. code-block:: python

            msg.usage_metadata
            # {"input_tokens": 25, "output_tokens": 11, "total_tokens": 36,
            #  "input_token_details": {"cache_read": 0}, "output_token_details": {"reasoning": 300}}
            llm.get_num_tokens("hello world")            # 2, with the local Qwen tokenizer

    Response metadata:
        .. code-block:: python

            msg.response_metadata
            # {"model_name": "qwen-plus", "finish_reason": "stop", "request_id": "...",
            #  "model_provider": "dashscope"}

    Errors are the ``qwen_core.errors`` types, also catchable as langchain-core's (e.g. an invalid key raises an
    error that is both ``qwen_core.errors.AuthenticationError`` and ``ModelAuthenticationError``). Invalid input
    raises a ``ValueError`` subclass before any request is sent.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())
    escape_hatch: ClassVar[str | None] = "model_kwargs"
    framework_keywords: ClassVar[frozenset[str]] = frozenset({"callback_manager"})  # deprecated, still honoured

    model_name: str = Field(default="qwen-plus", alias="model")
    """Model name, e.g. ``qwen-plus``, ``qwen3-max``, ``qwq-plus`` (alias ``model``)."""
    api: Literal["compatible", "dashscope"] = "compatible"
    """Wire protocol: the OpenAI-compatible endpoint (default) or the native DashScope API."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = Field(default=None, validation_alias=AliasChoices("max_tokens", "max_completion_tokens"))
    seed: int | None = None
    stop: str | list[str] | list[int] | list[list[int]] | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    """Stop sequences as the service documents them: a string, strings, token ids or token-id lists."""
    n: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    enable_thinking: bool | None = None
    """Switch thinking on or off on hybrid models (``None``: the model's default)."""
    thinking_budget: int | None = None
    enable_search: bool | None = None
    search_options: dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    streaming: bool = False
    """Stream internally on ``invoke`` (``stream()`` always streams)."""
    stream_usage: bool = True
    """Report token usage on streams (on the last chunk)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Options the library does not model, sent as-is (compatible: top-level keys; native: ``parameters``); a key
    that names a typed option is that option, below the field (see :mod:`qwen_core.arguments`)."""
    model_info_overrides: dict[str, Any] | None = Field(
        default=None, validation_alias=AliasChoices("model_info_overrides", "model_info")
    )
    """Override catalogue facts for this model, e.g. ``{"supports_json_schema": True}`` (the user wins)."""

    # -- construction ----------------------------------------------------------------------------

    @model_validator(mode="after")
    def _validate(self) -> Self:
        misplaced = sorted(set(self.model_kwargs) & set(type(self).model_fields) - set(CHAT_OPTIONS))
        if misplaced:
            raise ValueError(f"pass {', '.join(misplaced)} as ChatQwen arguments, not in model_kwargs")
        split_pass_through(self.model_kwargs, "model_kwargs")  # reserved keys fail here, not on the first call
        if self.n is not None and self.n > 1 and self.streaming:
            raise ValueError("n > 1 cannot be streamed: set streaming=False")
        return self

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_qwen", "chat_models"]

    @property
    def _llm_type(self) -> str:
        return "qwen-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "api": self.api, **instance_options(self, CHAT_OPTIONS).options}

    def _resolve_model_profile(self) -> ModelProfile | None:
        """What works on this model, by the catalogue and the forced-output policy (``qwen_core.forced_output``):
        structured output works on every model (natively, with thinking off, or guided), forced tool choice
        wherever tools do."""
        info = self.model_info()
        return ModelProfile(
            max_input_tokens=info.max_input_tokens, max_output_tokens=info.max_output_tokens,
            text_inputs=True, image_inputs=info.supports_vision, image_url_inputs=info.supports_vision,
            video_inputs=info.supports_vision, text_outputs=True, reasoning_output=info.thinking != "none",
            tool_calling=info.supports_tools, tool_choice=info.supports_tools,
            tool_call_streaming=info.supports_tools, structured_output=True,
        )

    def model_info(self, model: str | None = None) -> ModelInfo:
        """Catalogue facts for ``model`` (default: this instance's), with ``model_info_overrides`` applied."""
        return self.model_catalogue.chat_model(model or self.model_name, **(self.model_info_overrides or {}))

    def _get_invocation_params(self, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """What langchain-core's version returns, built without its per-call warnings context (see ``_fast``)."""
        params = invocation_params(self, stop, kwargs)
        return super()._get_invocation_params(stop=stop, **kwargs) if params is None else params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER, ls_model_name=str(kwargs.get("model") or self.model_name),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        ls_stop = stop or kwargs.get("stop") or self.stop
        if isinstance(ls_stop, str):
            params["ls_stop"] = [ls_stop]
        elif ls_stop and all(isinstance(item, str) for item in ls_stop):
            params["ls_stop"] = [str(item) for item in ls_stop]
        return params

    # -- request building (pure, shared by the four entry points) -------------------------------

    def _build_request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[qt.ChatRequest, ModelInfo]:
        """The core request for one call: per-call keywords over fields over ``model_kwargs``."""
        call = call_options(instance_options(self, CHAT_OPTIONS), kwargs)
        options = call.options
        if stop is not None:
            options["stop"] = stop
        if "stop" in options:
            options["stop"] = _stop_option(options["stop"])
        model, stream_usage, timeout, calls = self.model_name, self.stream_usage, None, {}
        for name, value in call.rest.items():
            if name == "model":
                model = value
            elif name == "timeout":
                timeout = call_timeout(value)
            elif name == "stream_usage":
                stream_usage = value
            elif name in _CALL_FIELDS:
                calls[name] = value
            elif name not in _FRAMEWORK_CALL_KEYS:
                raise self._call_error(name)
        request = qt.ChatRequest(
            model=model,
            messages=to_qwen_messages(messages),
            tools=tuple(to_qwen_tool(tool) for tool in calls.get("tools") or ()),
            tool_choice=to_qwen_tool_choice(calls.get("tool_choice")),
            parallel_tool_calls=calls.get("parallel_tool_calls"),
            response_format=to_qwen_response_format(calls.get("response_format")),
            stream_usage=bool(stream_usage),
            extra=call.extra,
            extra_headers=call.headers,
            timeout=timeout,
            **options,
        )
        return request, self.model_info(model)

    def _call_error(self, name: str) -> Exception:
        if name in type(self).model_fields:
            return QwenInvalidRequestError(
                f"{name} cannot be changed per call; create another ChatQwen (or llm.model_copy(update=...))"
            )
        return unknown_argument(name, _CALL_KEYWORDS - _FRAMEWORK_CALL_KEYS, "ChatQwen call", "extra_body")

    def _build_stream_request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[qt.ChatRequest, ModelInfo]:
        request, info = self._build_request(messages, stop, kwargs)
        if request.n is not None and request.n > 1:
            raise QwenInvalidRequestError("n > 1 cannot be streamed; call invoke/generate instead")
        return request, info

    # -- calls: short shells that differ only by await / async for ------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, info = self._build_request(messages, stop, kwargs)
        with translate_errors():
            result = self.client.chat(request, info)
        return from_qwen_result(result)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, info = self._build_request(messages, stop, kwargs)
        client = self.client
        with translate_errors():  # throttling backs off in the process's limiter for this key and model
            limiter = limiter_for(client.settings, request.model)
            result = await limiter.run(lambda: client.achat(request, info), retries=throttle_retries(client.settings))
        return from_qwen_result(result)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request, info = self._build_stream_request(messages, stop, kwargs)
        converter = StreamConverter(model=request.model, stream_usage=request.stream_usage)
        stream = self.client.stream(request, info)
        with translate_errors(), closing(stream) as deltas:
            for delta in deltas:
                if (chunk := converter.chunk(delta)) is not None:
                    if run_manager is not None:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        yield converter.final()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request, info = self._build_stream_request(messages, stop, kwargs)
        converter = StreamConverter(model=request.model, stream_usage=request.stream_usage)
        with translate_errors():
            astream = self.client.astream(request, info)
            async with aclosing(astream) as deltas:
                async for delta in deltas:
                    if (chunk := converter.chunk(delta)) is not None:
                        if run_manager is not None:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
        yield converter.final()

    # -- batches: the service's Batch API when use_batch_api is set ---------------------------------

    def batch(self, inputs: list[LanguageModelInput], config: RunnableConfig | list[RunnableConfig] | None = None,
              *, return_exceptions: bool = False, **kwargs: Any) -> list[AIMessage]:
        if self.use_batch_api and inputs:
            return self._batch_via_api(inputs, config, return_exceptions, kwargs)
        return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    async def abatch(self, inputs: list[LanguageModelInput],
                     config: RunnableConfig | list[RunnableConfig] | None = None, *, return_exceptions: bool = False,
                     **kwargs: Any) -> list[AIMessage]:
        if self.use_batch_api and inputs:
            return await self._abatch_via_api(inputs, config, return_exceptions, kwargs)
        return await super().abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    # -- token counting (offline) ----------------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the local Qwen tokenizer (no network)."""
        return count_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Approximate prompt tokens: each message's text and tool calls, the template overhead, and tools.

        Images, audio and video are not counted (the service sizes them from the media).
        """
        texts: list[str] = []
        for message in to_qwen_messages(messages):
            text = message.content if isinstance(message.content, str) else "".join(
                part.text for part in message.content if isinstance(part, qt.TextPart)
            )
            texts.append(text + "".join(call.name + call.arguments for call in message.tool_calls))
        total = count_message_tokens(texts)
        if tools:
            import json

            total += count_tokens(json.dumps([convert_to_openai_tool(tool) for tool in tools]))
        return total


store_signatures(ChatQwen, ("_generate", "_agenerate"))  # asked on every invoke by langchain-core (see _fast)


def _stop_option(stop: Any) -> Any:
    """``stop`` for the core request: a string stays one (``list("ab")`` would split it), sequences become lists."""
    if not stop:
        return None
    return stop if isinstance(stop, str) else list(stop)
