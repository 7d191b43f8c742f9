"""Framework-free core of qwen-integrations: settings, model catalogue, both DashScope wire protocols,
transport, stream accumulation, typed errors and an offline emulator of the service.

The main names are importable from the package itself::

    from qwen_core import ChatRequest, Message, QwenClient, RateLimitError

Importing this package is cheap: each name's module (and the HTTP clients and SDKs behind it) is imported on
first use, so ``import qwen_core`` loads nothing but the version.
"""

from qwen_core._version import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would double this package's import time
if TYPE_CHECKING:
    from qwen_core.catalogue import (
        DEFAULT_CATALOGUE,
        EmbeddingModelInfo,
        ModelCatalogue,
        ModelInfo,
        RerankModelInfo,
        UnknownModelWarning,
    )
    from qwen_core.client import QwenClient
    from qwen_core.embedding import aembed_texts, embed_texts
    from qwen_core.emulator import Emulator
    from qwen_core.errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BatchJobError,
        ConfigurationError,
        ContentInspectionError,
        ContextLengthError,
        IncompleteStreamError,
        InvalidRequestError,
        ModelNonComplianceError,
        NotFoundError,
        PermissionDeniedError,
        QwenError,
        RateLimitError,
        ResponseParseError,
        ServerError,
        StreamEventTooLargeError,
        UnknownArgumentError,
        UnsupportedFeatureError,
    )
    from qwen_core.rerank import arerank, rerank
    from qwen_core.retry import RetryPolicy
    from qwen_core.settings import QwenSettings, SecretStr
    from qwen_core.streaming import StreamAccumulator
    from qwen_core.types import (
        AudioPart,
        ChatDelta,
        ChatRequest,
        ChatResult,
        Choice,
        EmbeddingRequest,
        EmbeddingResult,
        ImagePart,
        Message,
        NamedToolChoice,
        RerankHit,
        RerankRequest,
        RerankResult,
        ResponseFormat,
        TextPart,
        ToolCall,
        ToolCallChunk,
        ToolSpec,
        Usage,
        VideoPart,
    )

#: Module -> the public names it defines, imported from the package on first access (see ``__getattr__``).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "qwen_core.catalogue": (
        "DEFAULT_CATALOGUE", "EmbeddingModelInfo", "ModelCatalogue", "ModelInfo", "RerankModelInfo",
        "UnknownModelWarning",
    ),
    "qwen_core.client": ("QwenClient",),
    "qwen_core.embedding": ("aembed_texts", "embed_texts"),
    "qwen_core.emulator": ("Emulator",),
    "qwen_core.errors": (
        "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "AuthenticationError", "BadRequestError",
        "BatchJobError", "ConfigurationError", "ContentInspectionError", "ContextLengthError", "IncompleteStreamError",
        "InvalidRequestError", "ModelNonComplianceError", "NotFoundError", "PermissionDeniedError", "QwenError",
        "RateLimitError", "ResponseParseError", "ServerError", "StreamEventTooLargeError", "UnknownArgumentError",
        "UnsupportedFeatureError",
    ),
    "qwen_core.rerank": ("arerank", "rerank"),
    "qwen_core.retry": ("RetryPolicy",),
    "qwen_core.settings": ("QwenSettings", "SecretStr"),
    "qwen_core.streaming": ("StreamAccumulator",),
    "qwen_core.types": (
        "AudioPart", "ChatDelta", "ChatRequest", "ChatResult", "Choice", "EmbeddingRequest", "EmbeddingResult",
        "ImagePart", "Message", "NamedToolChoice", "RerankHit", "RerankRequest", "RerankResult", "ResponseFormat",
        "TextPart", "ToolCall", "ToolCallChunk", "ToolSpec", "Usage", "VideoPart",
    ),
}
_HOMES: dict[str, str] = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "DEFAULT_CATALOGUE",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "ChatDelta",
    "ChatRequest",
    "ChatResult",
    "Choice",
    "ConfigurationError",
    "ContentInspectionError",
    "ContextLengthError",
    "EmbeddingModelInfo",
    "EmbeddingRequest",
    "EmbeddingResult",
    "Emulator",
    "ImagePart",
    "IncompleteStreamError",
    "InvalidRequestError",
    "Message",
    "ModelCatalogue",
    "ModelInfo",
    "ModelNonComplianceError",
    "NamedToolChoice",
    "NotFoundError",
    "PermissionDeniedError",
    "QwenClient",
    "QwenError",
    "QwenSettings",
    "RateLimitError",
    "RerankHit",
    "RerankModelInfo",
    "RerankRequest",
    "RerankResult",
    "ResponseFormat",
    "ResponseParseError",
    "RetryPolicy",
    "SecretStr",
    "ServerError",
    "StreamAccumulator",
    "StreamEventTooLargeError",
    "TextPart",
    "ToolCall",
    "ToolCallChunk",
    "ToolSpec",
    "UnknownArgumentError",
    "UnknownModelWarning",
    "UnsupportedFeatureError",
    "Usage",
    "VideoPart",
    "__version__",
    "aembed_texts",
    "arerank",
    "embed_texts",
    "rerank",
]


# The adapters' packages use qwen_core.lazy_exports for this; the core's package does not: that module imports
# typing, which would multiply the cost of ``import qwen_core`` (``python -X importtime -c 'import qwen_core'``).
def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qwen_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next access is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
