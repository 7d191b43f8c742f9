"""LlamaIndex node postprocessor that reranks with Qwen rerank models (DashScope / Model Studio)."""

from __future__ import annotations

from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, MetadataMode, NodeWithScore, QueryBundle
from pydantic import AliasChoices

from llama_index_qwen._connection import QwenBatchConnection
from llama_index_qwen._fast import store_span_signatures
from qwen_core.errors import InvalidRequestError
from qwen_core.rerank import DEFAULT_RERANK_MODEL
from qwen_core.rerank import arerank as _arerank
from qwen_core.rerank import rerank as _rerank
from qwen_core.types import RerankResult

#: Metadata key of the rerank score (as in LangChain's ``QwenRerank``).
SCORE_KEY = "relevance_score"


class QwenRerank(QwenBatchConnection, BaseNodePostprocessor):
    """Rerank retrieved nodes with ``gte-rerank-v2`` (default) or ``qwen3-rerank``.

    Returns the ``top_n`` most relevant nodes, best first. Each is a new :class:`NodeWithScore` whose ``score`` is
    the service's ``relevance_score``, around a copy of the node with the same score in
    ``metadata["relevance_score"]`` (excluded from the LLM and embedding text, so it never leaks into prompts);
    the input nodes are not mutated. The text ranked is the node's embedding text (``MetadataMode.EMBED``,
    as the index embedded it). Lists longer than one request allows (documents or tokens) are split and merged
    by score, which is exact because each score depends on its (query, document) pair only.

    Args:
        model: ``gte-rerank-v2`` (default) or ``qwen3-rerank``.
        top_n: nodes to keep (default 3; ``None`` keeps all, reordered).
        return_documents: ask the service to echo document texts (not needed: nodes are mapped back by index).
        instruct: task instruction (qwen3-rerank only).
        api: ``"dashscope"`` (native, default) or ``"compatible"`` (``/compatible-api/v1/reranks``).
        api_key / region / base_url / workspace / timeout / max_retries: connection settings, as for ``Qwen``.

    Example (against the offline emulator):
        >>> from llama_index.core.schema import NodeWithScore, TextNode
        >>> from llama_index_qwen.postprocessor import QwenRerank
        >>> from qwen_core.emulator import Emulator
        >>> texts = ["stock prices fell", "the cat sat on the mat", "a cat and a dog"]
        >>> nodes = [NodeWithScore(node=TextNode(text=text), score=0.5) for text in texts]
        >>> with Emulator() as emu:
        ...     reranker = QwenRerank(api_key="sk-test", base_url=emu.base_url, top_n=2)
        ...     best = reranker.postprocess_nodes(nodes, query_str="cat on the mat")
        ...     reranker.close()
        >>> [n.node.get_content() for n in best]
        ['the cat sat on the mat', 'a cat and a dog']
        >>> best[0].score == best[0].node.metadata["relevance_score"]
        True
    """

    model: str = Field(
        default=DEFAULT_RERANK_MODEL,
        validation_alias=AliasChoices("model", "model_name"),
        description="The rerank model (alias model_name).",
    )
    top_n: int | None = Field(default=3, ge=1, description="Nodes to return (None: all, reordered).")
    return_documents: bool | None = Field(default=None, description="Ask the service to echo document texts.")
    instruct: str | None = Field(default=None, description="Task instruction (qwen3-rerank only).")

    @classmethod
    def class_name(cls) -> str:
        return "QwenRerank"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = _inputs(nodes, query_bundle)
        result = _rerank(
            self.client, query, texts, model=self.model, top_n=self.top_n,
            return_documents=self.return_documents, instruct=self.instruct,
        )
        return _scored_nodes(nodes, result)

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = _inputs(nodes, query_bundle)
        result = await _arerank(
            self.client, query, texts, model=self.model, top_n=self.top_n,
            return_documents=self.return_documents, instruct=self.instruct, limiter=self._limiter,
        )
        return _scored_nodes(nodes, result)


def _inputs(nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> tuple[str, list[str]]:
    if query_bundle is None:
        raise InvalidRequestError("QwenRerank needs a query: pass query_str= or query_bundle=")
    return query_bundle.query_str, [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]


def _scored_nodes(nodes: list[NodeWithScore], result: RerankResult) -> list[NodeWithScore]:
    return [NodeWithScore(node=_with_score(nodes[hit.index].node, hit.relevance_score), score=hit.relevance_score)
            for hit in result.hits]


def _with_score(node: BaseNode, score: float) -> BaseNode:
    """A copy of ``node`` with ``metadata["relevance_score"]``, hidden from the LLM and embedding text."""
    return node.model_copy(
        update={
            "metadata": {**node.metadata, SCORE_KEY: score},
            "excluded_llm_metadata_keys": _with_key(node.excluded_llm_metadata_keys),
            "excluded_embed_metadata_keys": _with_key(node.excluded_embed_metadata_keys),
        }
    )


def _with_key(keys: list[str]) -> list[str]:
    return keys if SCORE_KEY in keys else [*keys, SCORE_KEY]


store_span_signatures(QwenRerank)  # the dispatcher inspects these on every call: see _fast


__all__ = ["QwenRerank"]
