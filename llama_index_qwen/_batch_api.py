"""The service's Batch API for LlamaIndex: ``Qwen``'s job methods and ``QwenEmbedding(use_batch_api=True)``.

``Qwen.batch_api_submit`` takes a list of conversations (each a list of ``ChatMessage``) and returns the job id;
``batch_api_status``, ``batch_api_retrieve`` (one ``ChatResponse`` or typed error per conversation, in order) and
``batch_api_cancel`` work from that id, in this process or another (each has an ``a``-prefixed async twin).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.bridge.pydantic import BaseModel, Field

from llama_index_qwen._responses import from_qwen_result
from qwen_core.batch import BatchJob, JobStatus, WaitOptions
from qwen_core.batch.run import aretrieve_chat, asubmit_chat, retrieve_chat, submit_chat
from qwen_core.catalogue import DEFAULT_CATALOGUE, ModelInfo
from qwen_core.errors import APIError
from qwen_core.types import ChatRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from qwen_core.client import QwenClient


class BatchApiFields(BaseModel):
    """How batch jobs are waited for (the same names as in ``langchain_qwen``)."""

    batch_api_progress: bool = Field(default=True, description="Show progress while waiting for a batch job.")
    batch_api_poll_interval: float = Field(default=2.0, gt=0, description="Seconds before the first status poll.")
    batch_api_timeout: float | None = Field(
        default=None, gt=0, description="Stop waiting after this many seconds (the job keeps running)."
    )

    def _wait_options(self) -> WaitOptions:
        return WaitOptions.of(self.batch_api_poll_interval, self.batch_api_timeout, self.batch_api_progress)


class LLMBatchApi(BatchApiFields):
    """Mixin for ``Qwen``: submit lists of conversations as batch jobs and collect their answers later."""

    if TYPE_CHECKING:  # provided by Qwen
        model_info_overrides: dict[str, Any] | None

        def _get_client(self) -> QwenClient: ...
        def _request(self, messages: Sequence[ChatMessage], options: Mapping[str, Any]) -> ChatRequest: ...

    def _model_facts(self, model: str) -> ModelInfo:
        return DEFAULT_CATALOGUE.chat_model(model, **(self.model_info_overrides or {}))

    def _batch_requests(self, conversations: Sequence[Sequence[ChatMessage]], kwargs: Mapping[str, Any]
                        ) -> list[ChatRequest]:
        return [self._request(messages, kwargs) for messages in conversations]

    def batch_api_submit(self, conversations: Sequence[Sequence[ChatMessage]], **kwargs: Any) -> str:
        """Submit one batch job answering every conversation; returns the job id."""
        requests = self._batch_requests(conversations, kwargs)
        return submit_chat(self._get_client(), requests, model_info=self._model_facts).id

    async def abatch_api_submit(self, conversations: Sequence[Sequence[ChatMessage]], **kwargs: Any) -> str:
        requests = self._batch_requests(conversations, kwargs)
        return (await asubmit_chat(self._get_client(), requests, model_info=self._model_facts)).id

    def batch_api_status(self, job_id: str) -> JobStatus:
        """The job's state (``.status``) and request counts (``.counts``)."""
        return self._get_client().batch.status(BatchJob.from_id(job_id))

    async def abatch_api_status(self, job_id: str) -> JobStatus:
        return await self._get_client().batch.astatus(BatchJob.from_id(job_id))

    def batch_api_retrieve(self, job_id: str, *, wait: bool = True) -> list[ChatResponse | APIError]:
        """One ``ChatResponse`` or typed error per conversation, in order (waits for the job unless told not to)."""
        return retrieve_chat(self._get_client(), BatchJob.from_id(job_id), from_qwen_result, wait=wait,
                             options=self._wait_options())

    async def abatch_api_retrieve(self, job_id: str, *, wait: bool = True) -> list[ChatResponse | APIError]:
        return await aretrieve_chat(self._get_client(), BatchJob.from_id(job_id), from_qwen_result, wait=wait,
                                    options=self._wait_options())

    def batch_api_cancel(self, job_id: str) -> JobStatus:
        """Ask the service to cancel the job (finished requests keep their results)."""
        return self._get_client().batch.cancel_job(BatchJob.from_id(job_id))

    async def abatch_api_cancel(self, job_id: str) -> JobStatus:
        return await self._get_client().batch.acancel_job(BatchJob.from_id(job_id))


__all__ = ["BatchApiFields", "LLMBatchApi"]
