"""Inputs -> batch parts: request lines built by the live calls' builders, grouped per model, split at the limits.

Only set options are sent, exactly as on a live call: :func:`chat_parts` validates each request against the
service's rules and builds its body with the compatible protocol's ``build_chat`` (never streamed), and
:func:`embedding_parts` batches texts at the model's row limit with the same checks and builder as live embedding
calls. Inputs are grouped per model (one model per file, as the service requires) and each group is split so no
file exceeds the limits; ``custom_id`` stays the input position of each line's first item throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qwen_core.batch.client import Part
from qwen_core.batch.lines import (
    EMBEDDINGS_ENDPOINT,
    BatchLimits,
    chat_line,
    embedding_line,
    endpoint_for_chat,
    limits_for,
    split_lines,
)
from qwen_core.catalogue import ModelCatalogue, ModelInfo
from qwen_core.embedding import plan_requests
from qwen_core.errors import InvalidRequestError
from qwen_core.settings import QwenSettings
from qwen_core.types import ChatRequest


def chat_parts(
    requests: Sequence[ChatRequest],
    model_info: Callable[[str], ModelInfo],
    settings: QwenSettings,
    limits: BatchLimits | None = None,
) -> list[Part]:
    """The batches for ``requests`` (``custom_id`` = position in ``requests``).

    Args:
        requests: chat requests; each is checked like a live call before anything is sent.
        model_info: catalogue facts per model name (``QwenClient.model_info`` or an adapter's ``model_info``).
        settings: connection settings (the lines' bodies do not carry them, the builders need them).
        limits: smaller per-file limits than the service's, e.g. to get results of a large job sooner.

    Raises:
        InvalidRequestError: an empty input, a request the service would reject, or a request over the line size.
    """
    if not requests:
        raise InvalidRequestError("a batch needs at least one request")
    groups: dict[str, list[bytes]] = {}
    for position, request in enumerate(requests):
        line = chat_line(position, request, model_info(request.model), settings)
        groups.setdefault(request.model, []).append(line)
    return [
        Part(endpoint_for_chat(model), part)
        for model, lines in groups.items()
        for part in split_lines(lines, limits_for(model, limits))
    ]


def embedding_parts(
    texts: Sequence[str],
    *,
    model: str,
    catalogue: ModelCatalogue,
    settings: QwenSettings,
    dimensions: int | None = None,
    batch_size: int | None = None,
    limits: BatchLimits | None = None,
) -> list[Part]:
    """The batches embedding ``texts`` (``custom_id`` = position of each line's first text).

    Each line carries up to the model's row limit of texts (10 for text-embedding-v3/v4), checked as on a live
    call. The compatible endpoint has no ``text_type``: documents and queries are embedded alike.
    """
    requests = plan_requests(catalogue, texts, model, None, dimensions, batch_size)
    if not requests:
        raise InvalidRequestError("a batch needs at least one text")
    lines: list[bytes] = []
    start = 0
    for request in requests:
        lines.append(embedding_line(start, request, settings))
        start += len(request.texts)
    return [Part(EMBEDDINGS_ENDPOINT, part) for part in split_lines(lines, limits_for(model, limits))]


__all__ = ["chat_parts", "embedding_parts"]
