"""Embeddings and rerank, native and compatible: deterministic hashing-trick vectors and word-overlap scores."""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from qwen_core import tokenizer
from qwen_core.catalogue import EmbeddingModelInfo, RerankModelInfo, get_embedding_model_info, get_rerank_model_info
from qwen_core.emulator import compat, native, schema
from qwen_core.emulator.errors import EmulatedError, invalid, model_not_found
from qwen_core.emulator.plan import Context, Plan, as_dict, json_answer

__all__ = ["compat_embeddings", "compat_rerank", "embed", "native_embeddings", "native_rerank", "rank", "relevance"]


def embed(text: str, dimension: int) -> list[float]:
    """A signed hashing-trick vector over lower-cased words, L2-normalised; shared words mean closer vectors."""
    vec = [0.0] * dimension
    tokens = schema.words(text) or [text.lower() or "<empty>"]
    for word in tokens:
        h = zlib.crc32(word.encode())
        vec[h % dimension] += 1.0 if (h >> 16) & 1 else -1.0
        h2 = zlib.crc32(b"#" + word.encode())
        vec[h2 % dimension] += 0.5 if (h2 >> 16) & 1 else -0.5
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def relevance(query: str, document: str) -> float:
    """Word-overlap score in [0, 1]: shared distinct words over the geometric mean of both word-set sizes."""
    q, d = set(schema.words(query)), set(schema.words(document))
    if not q or not d:
        return 0.0
    return round(len(q & d) / math.sqrt(len(q) * len(d)), 6)


_Info = TypeVar("_Info", EmbeddingModelInfo, RerankModelInfo)


def _known_model(model: Any, protocol: str, lookup: Callable[[str], _Info]) -> _Info:
    """The catalogue entry of ``model``; the service's errors for a missing or unknown model."""
    if not isinstance(model, str) or not model:
        raise invalid("Model can not be empty.", "BadRequest.EmptyModel")
    info = lookup(model)
    if not info.known:
        raise model_not_found(model, protocol)
    return info


def _check_texts(texts: Any, info: EmbeddingModelInfo) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise invalid("The input texts must be a non-empty list of strings.")
    if len(texts) > info.max_batch:
        raise invalid(f"Value error, batch size is invalid, it should not be larger than {info.max_batch}.")
    if any(not t for t in texts):
        raise invalid("The content of the input text must not be empty.")
    return texts


def _dimension(value: Any, info: EmbeddingModelInfo) -> int:
    if value is None:
        return info.default_dimension
    if value not in info.dimensions:
        allowed = ", ".join(str(d) for d in info.dimensions)
        raise invalid(f"Value error, dimension should be one of [{allowed}].")
    return int(value)


def native_embeddings(ctx: Context) -> Plan:
    """``POST /api/v1/services/embeddings/text-embedding/text-embedding``."""
    body = as_dict(ctx.body)
    try:
        info = _known_model(body.get("model"), "native", get_embedding_model_info)
        inp = as_dict(body.get("input"))
        texts = _check_texts(inp.get("texts"), info)
        params = as_dict(body.get("parameters"))
        dim = _dimension(params.get("dimension"), info)
    except EmulatedError as err:
        return native.error_plan(ctx, err, False)
    items = [{"embedding": embed(t, dim), "text_index": i} for i, t in enumerate(texts)]
    data = {"output": {"embeddings": items}, "usage": {"total_tokens": sum(tokenizer.count_tokens(t) for t in texts)},
            "request_id": ctx.request_id}
    return json_answer(ctx, data)


def compat_embeddings(ctx: Context) -> Plan:
    """``POST /compatible-mode/v1/embeddings`` (OpenAI envelope; ``encoding_format`` float or base64)."""
    body = as_dict(ctx.body)
    try:
        info = _known_model(body.get("model"), "compatible", get_embedding_model_info)
        texts = _check_texts(body.get("input"), info)
        dim = _dimension(body.get("dimensions"), info)
        fmt = body.get("encoding_format") or "float"
        if fmt not in ("float", "base64"):
            raise invalid("encoding_format must be 'float' or 'base64'")
    except EmulatedError as err:
        return compat.error_plan(ctx, err, False)
    data = []
    for i, text in enumerate(texts):
        vec = embed(text, dim)
        value: Any = vec if fmt == "float" else base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": value})
    tokens = sum(tokenizer.count_tokens(t) for t in texts)
    out = {"object": "list", "data": data, "model": body["model"],
           "usage": {"prompt_tokens": tokens, "total_tokens": tokens}, "id": ctx.request_id}
    return json_answer(ctx, out)


def _query(query: Any) -> str:
    if not isinstance(query, str) or not query:
        raise invalid("The query must be a non-empty string.")
    return query


def _documents(docs: Any, info: RerankModelInfo) -> list[str]:
    if not isinstance(docs, list) or not docs:
        raise invalid("The documents must be a non-empty list.")
    if len(docs) > info.max_documents:
        raise invalid(f"The number of documents should not be larger than {info.max_documents}.")
    out = []
    for doc in docs:
        text = doc.get("text") if isinstance(doc, dict) else doc
        if not isinstance(text, str):
            raise invalid("Each document must be a string.")
        out.append(text)
    return out


def rank(query: str, docs: list[str], top_n: Any, return_documents: bool) -> list[dict[str, Any]]:
    """Results sorted by descending score (ties keep document order), cut to ``top_n``."""
    if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
        raise invalid("top_n must be a positive integer.")
    scored = sorted(((relevance(query, d), i) for i, d in enumerate(docs)), key=lambda p: (-p[0], p[1]))
    results = []
    for score, i in scored[: top_n or len(docs)]:
        item: dict[str, Any] = {"index": i, "relevance_score": score}
        if return_documents:
            item["document"] = {"text": docs[i]}
        results.append(item)
    return results


def _rerank_tokens(query: str, docs: list[str]) -> int:
    return tokenizer.count_tokens(query) * len(docs) + sum(tokenizer.count_tokens(d) for d in docs)


def native_rerank(ctx: Context) -> Plan:
    """``POST /api/v1/services/rerank/text-rerank/text-rerank``."""
    body = as_dict(ctx.body)
    try:
        info = _known_model(body.get("model"), "native", get_rerank_model_info)
        inp = as_dict(body.get("input"))
        query = _query(inp.get("query"))
        docs = _documents(inp.get("documents"), info)
        params = as_dict(body.get("parameters"))
        results = rank(query, docs, params.get("top_n"), bool(params.get("return_documents")))
    except EmulatedError as err:
        return native.error_plan(ctx, err, False)
    data = {"output": {"results": results}, "usage": {"total_tokens": _rerank_tokens(query, docs)},
            "request_id": ctx.request_id}
    return json_answer(ctx, data)


def compat_rerank(ctx: Context) -> Plan:
    """``POST /compatible-api/v1/reranks`` (flat body; envelope [U] in the protocol doc)."""
    body = as_dict(ctx.body)
    try:
        info = _known_model(body.get("model"), "compatible", get_rerank_model_info)
        query = _query(body.get("query"))
        docs = _documents(body.get("documents"), info)
        results = rank(query, docs, body.get("top_n"), bool(body.get("return_documents")))
    except EmulatedError as err:
        return compat.error_plan(ctx, err, False)
    data = {"object": "list", "results": results, "model": body["model"],
            "usage": {"total_tokens": _rerank_tokens(query, docs)}, "id": ctx.request_id}
    return json_answer(ctx, data)
