"""Chat requests of both protocols, normalised into one :class:`EmulatedChatRequest` and validated
(docs/protocol.md#s2-3, #q10, #q26).

The emulator looks models up in :mod:`qwen_core.catalogue` first, then in a few extra entries for models the
real-service captures use (qwen3.6-plus, deepseek-v4-pro, qwen-plus-character, qwen-mt-plus, qwen3-max-preview).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from qwen_core import tokenizer
from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelCatalogue, ModelInfo
from qwen_core.emulator.errors import invalid, model_not_found

__all__ = [
    "EXTRA_MODELS",
    "IMAGE_TOKENS",
    "MESSAGE_OVERHEAD",
    "EmulatedChatRequest",
    "EmulatedMessage",
    "Endpoint",
    "check_model",
    "content_text",
    "default_incremental",
    "default_result_format",
    "lookup_model",
    "parse_messages",
    "validate",
    "validate_messages",
]

Endpoint = Literal["text", "multimodal"]

EXTRA_MODELS = ModelCatalogue(
    chat=(
        ModelInfo("qwen3.6-plus", 1_000_000, 991_808, 65_536, supports_vision=True, thinking="hybrid",
                  thinking_default=True, max_thinking_tokens=81_920, native_endpoint="multimodal",
                  supports_search=True, supports_json_schema=True),
        ModelInfo("qwen3-max-preview", 262_144, 258_048, 65_536, thinking="hybrid", max_thinking_tokens=81_920,
                  supports_search=True),
        ModelInfo("deepseek-v4-pro", 131_072, 129_024, 65_536, thinking="hybrid", max_thinking_tokens=65_536,
                  supports_json_schema=True),
        ModelInfo("qwen-plus-character", 32_768, 30_720, 8_192, supports_n=True, supports_logprobs=True),
        ModelInfo("qwen-mt-plus", 16_384, 8_192, 8_192, supports_tools=False),
        ModelInfo("qwen-mt-turbo", 16_384, 8_192, 8_192, supports_tools=False),
    ),
    embedding=(),
    rerank=(),
)
#: Models that may think in a non-streaming call (qwen3.5+ and deepseek answer; older Qwen3 refuse).
_NONSTREAM_THINKING = re.compile(r"^(qwen3\.[5-9]|deepseek)")
#: Models whose native streams default to incremental output (docs/protocol.md#s2-3).
_INCREMENTAL_DEFAULT = re.compile(r"^(qwen3-max|qwen3-vl|qwq|qvq|qwen3-\d|qwen3\.|qwen3-next|qwen3-235b)")
#: Input tokens added per message for the chat template (an approximation, [U] in the protocol doc).
MESSAGE_OVERHEAD = 4
#: Input tokens billed per image or video item.
IMAGE_TOKENS = 256


def lookup_model(name: str) -> ModelInfo:
    """Catalogue facts for ``name``; ``known`` is False when neither table has it."""
    info = DEFAULT_CATALOGUE.known_chat_model(name) or EXTRA_MODELS.known_chat_model(name)
    return info if info is not None else ModelInfo(name, known=False)


@dataclass
class EmulatedMessage:
    """One normalised input message."""

    role: str
    text: str
    media: int = 0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str | None = None
    partial: bool = False
    content_is_list: bool = False


@dataclass
class EmulatedChatRequest:
    """Everything reply generation needs, whatever the protocol."""

    protocol: Literal["native", "compatible"]
    model: str
    info: ModelInfo
    endpoint: Endpoint
    messages: list[EmulatedMessage]
    params: dict[str, Any]
    stream: bool
    incremental: bool = True
    result_format: str = "message"
    thinking: bool = False
    include_usage: bool = False

    @property
    def tools(self) -> list[dict[str, Any]]:
        tools = self.params.get("tools") or []
        return [t for t in tools if isinstance(t, dict)]

    @property
    def last_user_text(self) -> str:
        for msg in reversed(self.messages):
            if msg.role == "user":
                return msg.text
        return ""

    def input_tokens(self) -> int:
        """Billed input tokens: message text + template overhead + tool schemas + media."""
        total = sum(tokenizer.count_tokens(m.text) + MESSAGE_OVERHEAD for m in self.messages)
        if self.tools:
            import json

            total += tokenizer.count_tokens(json.dumps(self.tools, ensure_ascii=False))
        return total + self.image_tokens()

    def image_tokens(self) -> int:
        return IMAGE_TOKENS * sum(m.media for m in self.messages)


def content_text(content: Any) -> tuple[str, int]:
    """Text and media-item count of a message ``content`` (string, native item list or OpenAI parts)."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise invalid("The item of content should be a message of a certain modal.")
    texts: list[str] = []
    media = 0
    for item in content:
        if not isinstance(item, dict):
            raise invalid("The item of content should be a message of a certain modal.")
        if isinstance(item.get("text"), str):
            texts.append(item["text"])
        elif any(k in item for k in ("image", "video", "audio", "image_url", "video_url", "input_audio")):
            media += 1
        elif item.get("type") not in ("text",):
            raise invalid("The item of content should be a message of a certain modal.")
    return "\n".join(texts), media


def parse_messages(raw: Any) -> list[EmulatedMessage]:
    """Normalise a messages array (roles are checked by :func:`validate`)."""
    if not isinstance(raw, list):
        raise invalid("Input should be a valid list: messages")
    out: list[EmulatedMessage] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid("Role must be user or assistant and Content length must be greater than 0")
        text, media = content_text(item.get("content"))
        calls = item.get("tool_calls") or []
        out.append(EmulatedMessage(
            role=str(item.get("role", "")), text=text, media=media,
            tool_calls=[c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else [],
            tool_call_id=item.get("tool_call_id"), partial=bool(item.get("partial")),
            content_is_list=isinstance(item.get("content"), list),
        ))
    return out


_ROLES = {"system", "user", "assistant", "tool", "developer", "function", "plugin"}


def validate_messages(messages: list[EmulatedMessage], endpoint: Endpoint, protocol: str) -> None:
    """Roles, emptiness, tool ordering and (native text endpoint) string content."""
    if not messages:
        raise invalid("Role must be user or assistant and Content length must be greater than 0")
    seen_tool_calls = False
    for msg in messages:
        if msg.role not in _ROLES:
            raise invalid("Role must be user or assistant and Content length must be greater than 0")
        if protocol == "native" and endpoint == "text" and msg.content_is_list:
            raise invalid("input content must be a string.")
        if msg.tool_calls:
            seen_tool_calls = True
        if msg.role == "tool" and not seen_tool_calls:
            raise invalid('messages with role "tool" must be a response to a preceeding message with "tool_calls"')


def _check_range(params: dict[str, Any], info: ModelInfo, protocol: str) -> None:
    temp = params.get("temperature")
    if isinstance(temp, (int, float)) and not 0 <= temp < 2:
        raise invalid("Temperature should be in [0.0, 2.0)")
    top_p = params.get("top_p")
    if isinstance(top_p, (int, float)) and not 0 < top_p <= 1:
        raise invalid("Range of top_p should be (0.0, 1.0]")
    n = params.get("n")
    if n is not None and (not isinstance(n, int) or not 1 <= n <= 4):
        raise invalid("Range of n should be [1, 4]")
    top_lp = params.get("top_logprobs")
    if top_lp is not None and (not isinstance(top_lp, int) or not 0 <= top_lp <= 5):
        raise invalid("Range of top_logprobs should be [0, 5]")
    max_tokens = params.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or not 1 <= max_tokens <= info.max_output_tokens):
        raise invalid(f"Range of max_tokens should be [1, {info.max_output_tokens}]")
    seed = params.get("seed")
    top = 2**31 - 1 if protocol == "compatible" else 2**63 - 1
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed <= top):
        raise invalid(f"Range of seed should be [0, {top}]")


def _check_thinking(req: EmulatedChatRequest) -> None:
    params, info = req.params, req.info
    flag = params.get("enable_thinking")
    if info.thinking == "thinking_only" and flag is False:
        raise invalid("The value of the enable_thinking parameter is restricted to True.")
    if info.thinking == "none" and flag is True:
        raise invalid(f"The model {req.model} does not support enable_thinking.",
                      "InvalidParameter.NotSupportEnableThinking")
    budget = params.get("thinking_budget")
    limit = info.max_thinking_tokens or 81_920
    if budget is not None and (not isinstance(budget, int) or not 0 < budget <= limit):
        raise invalid(f"The thinking_budget parameter must be a positive integer and not greater than {limit}")
    if not req.thinking:
        return
    if not req.stream and not _NONSTREAM_THINKING.match(req.model.lower()):
        if info.thinking == "thinking_only":
            raise invalid("This model only support stream mode, please enable the stream parameter to access "
                          "the model. ")
        raise invalid("parameter.enable_thinking must be set to false for non-streaming calls")
    if req.stream and params.get("incremental_output") is False:
        raise invalid('The incremental_output parameter must be "true" when enable_thinking is true')
    if params.get("result_format") == "text":
        raise invalid('The result_format parameter must be "message" when enable_thinking is true')
    _check_thinking_features(req)


def _check_thinking_features(req: EmulatedChatRequest) -> None:
    choice = req.params.get("tool_choice")
    if isinstance(choice, dict) or choice == "required":
        raise invalid("The tool_choice parameter does not support being set to required or object in thinking mode")
    fmt = req.params.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        raise invalid("Json mode response is not supported when enable_thinking is true")
    if req.messages and req.messages[-1].partial:
        raise invalid("Partial mode is not supported when enable_thinking is true")


def _check_format(req: EmulatedChatRequest) -> None:
    fmt = req.params.get("response_format")
    if fmt is None:
        return
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise invalid("Unknown format of response_format, response_format should be a dict, includes 'type' and "
                      "an optional key 'json_schema'. The response_format type from user is "
                      f"{kind if kind is not None else type(fmt).__name__}.")
    if kind == "json_object":
        if not req.info.supports_json_object:
            raise invalid(f"The model {req.model} does not support response_format of type 'json_object'.")
        if not any("json" in m.text.lower() for m in req.messages):
            raise invalid("'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                          "'json_object'.")
    if kind == "json_schema":
        if not req.info.supports_json_schema:
            raise invalid(f"The model {req.model} does not support response_format of type 'json_schema'.")
        if not isinstance(fmt.get("json_schema"), dict):
            raise invalid("'response_format.json_schema' must be an object with a 'schema'.")


def _check_tools(req: EmulatedChatRequest) -> None:
    tools = req.params.get("tools")
    if not tools:
        return
    if not isinstance(tools, list):
        raise invalid("tools should be a list")
    if not req.info.supports_tools:
        raise invalid("The tool call is not supported.")
    names = set()
    for tool in tools:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise invalid("Each tool must be {\"type\": \"function\", \"function\": {\"name\": ...}}")
        if fn["name"] == "search":
            raise invalid("Tool names are not allowed to be [search]")
        names.add(fn["name"])
    choice = req.params.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in names:
            raise invalid(f"tool_choice names a function that is not in tools: {name}")
    elif choice is not None and choice not in ("auto", "none", "required"):
        raise invalid('tool_choice is one of the strings that should be ["none", "auto"]')


def validate(req: EmulatedChatRequest) -> None:
    """All request-level rules; raises :class:`EmulatedError` (400) on the first violation."""
    validate_messages(req.messages, req.endpoint, req.protocol)
    _check_range(req.params, req.info, req.protocol)
    _check_thinking(req)
    _check_format(req)
    _check_tools(req)
    if req.params.get("enable_search") and not req.info.supports_search:
        raise invalid("This model does not support enable_search.")


def check_model(model: Any, protocol: str, endpoint: Endpoint | None) -> ModelInfo:
    """Model presence, existence and endpoint (docs/protocol.md#q12, #q13)."""
    if not isinstance(model, str) or not model:
        if protocol == "compatible":
            raise invalid("you must provide a model parameter")
        raise invalid("Model can not be empty.", "BadRequest.EmptyModel")
    info = lookup_model(model)
    if not info.known:
        raise model_not_found(model, protocol)
    if endpoint is not None and info.native_endpoint != endpoint:
        raise invalid("url error, please check url!")
    return info


def default_incremental(model: str, info: ModelInfo, thinking: bool) -> bool:
    """The native ``incremental_output`` default: true for thinking, Qwen3 open, Qwen3-Max, VL, QwQ, QVQ."""
    return thinking or info.thinking == "thinking_only" or bool(_INCREMENTAL_DEFAULT.match(model.lower()))


def default_result_format(model: str, info: ModelInfo, endpoint: Endpoint) -> str:
    """The native ``result_format`` default (``message`` for newer and multimodal models)."""
    if endpoint == "multimodal" or default_incremental(model, info, False) or model.lower().startswith("qwen-long"):
        return "message"
    return "text"
