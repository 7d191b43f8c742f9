"""``ChatQwen``'s route through the service's Batch API: ``batch``/``abatch`` and explicit submit/status/retrieve.

With ``use_batch_api=True``, ``batch`` and ``abatch`` send every input as one line of a batch job (half the price
of live calls, results within the completion window) instead of one live call per input: the inputs are
converted and checked exactly as ``invoke`` does, the job is submitted, polled (with progress) and its results
read back in input order. Each input still gets its callback run (``on_chat_model_start``, then ``on_llm_end`` or
``on_llm_error``), and failed inputs raise or are returned as exceptions per ``return_exceptions``, as ``batch``
does. ``batch_api_submit`` returns the job id at once, to be checked and collected later, even from another
process: ``batch_api_status``, ``batch_api_retrieve``, ``batch_api_cancel`` (and their ``a``-prefixed twins).

``qwen_core.batch`` is imported by the methods that use it, not with this module: ``ChatQwen`` inherits them, and
``from langchain_qwen import ChatQwen`` or a plain invoke should not load the Batch API's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list
from pydantic import BaseModel, Field

from langchain_qwen._errors import to_langchain_error, translate_errors
from langchain_qwen._messages import from_qwen_result
from qwen_core import errors as qe
from qwen_core.types import ChatRequest, ChatResult

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput

    from qwen_core.batch import BatchJob, JobStatus, WaitOptions
    from qwen_core.catalogue import ModelInfo
    from qwen_core.client import QwenClient

Outcome = AIMessage | Exception


class BatchApiFields(BaseModel):
    """The Batch API settings (shared by the chat model's batch route)."""

    use_batch_api: bool = False
    """Route ``batch``/``abatch`` through the service's Batch API (half price, asynchronous, up to 24 h)."""
    batch_api_progress: bool = True
    """Show progress while waiting for a batch job (a tqdm bar, or log lines without tqdm)."""
    batch_api_poll_interval: float = Field(default=2.0, gt=0)
    """Seconds before the first status poll; later polls back off up to 60 s."""
    batch_api_timeout: float | None = Field(default=None, gt=0)
    """Give up waiting after this many seconds (the job keeps running; retrieve it later by its id)."""

    def _wait_options(self) -> WaitOptions:
        from qwen_core.batch import WaitOptions

        return WaitOptions.of(self.batch_api_poll_interval, self.batch_api_timeout, self.batch_api_progress)


def _job(job_id: str) -> BatchJob:
    from qwen_core.batch import BatchJob

    return BatchJob.from_id(job_id)


def _message(result: ChatResult) -> AIMessage:
    message = from_qwen_result(result).generations[0].message
    assert isinstance(message, AIMessage)  # from_qwen_result builds AIMessages
    return message


def _outcome(value: AIMessage | qe.APIError) -> Outcome:
    return to_langchain_error(value) if isinstance(value, qe.QwenError) else value


class ChatBatchApi(BatchApiFields):
    """Mixin for ``ChatQwen``: the Batch API behind ``batch``/``abatch`` and the explicit job methods."""

    if TYPE_CHECKING:  # provided by ChatQwen
        @property
        def client(self) -> QwenClient: ...
        def model_info(self, model: str | None = None) -> ModelInfo: ...
        def _build_request(self, messages: Sequence[BaseMessage], stop: list[str] | None,
                           kwargs: Any) -> tuple[ChatRequest, ModelInfo]: ...

    def _batch_messages(self, inputs: Sequence[LanguageModelInput]) -> list[list[BaseMessage]]:
        return [self._convert_input(item).to_messages() for item in inputs]  # type: ignore[attr-defined]

    def _batch_requests(self, conversations: Sequence[Sequence[BaseMessage]], kwargs: dict[str, Any]
                        ) -> list[ChatRequest]:
        stop = kwargs.pop("stop", None)
        for tracing_only in ("ls_structured_output_format", "structured_output_format"):  # as BaseChatModel does
            kwargs.pop(tracing_only, None)
        with translate_errors():
            return [self._build_request(messages, stop, kwargs)[0] for messages in conversations]

    # -- explicit jobs ------------------------------------------------------------------------------

    def batch_api_submit(self, inputs: Sequence[LanguageModelInput], **kwargs: Any) -> str:
        """Submit ``inputs`` as a batch job and return its id (several batch ids joined by commas when split)."""
        from qwen_core.batch import run as batch_run

        requests = self._batch_requests(self._batch_messages(inputs), kwargs)
        with translate_errors():
            return batch_run.submit_chat(self.client, requests, model_info=self.model_info).id

    async def abatch_api_submit(self, inputs: Sequence[LanguageModelInput], **kwargs: Any) -> str:
        from qwen_core.batch import run as batch_run

        requests = self._batch_requests(self._batch_messages(inputs), kwargs)
        with translate_errors():
            return (await batch_run.asubmit_chat(self.client, requests, model_info=self.model_info)).id

    def batch_api_status(self, job_id: str) -> JobStatus:
        """The job's state (``.status``: validating, in_progress, finalizing, completed, failed, expired,
        cancelling, cancelled) and request counts (``.counts``)."""
        with translate_errors():
            return self.client.batch.status(_job(job_id))

    async def abatch_api_status(self, job_id: str) -> JobStatus:
        with translate_errors():
            return await self.client.batch.astatus(_job(job_id))

    def batch_api_retrieve(self, job_id: str, *, wait: bool = True) -> list[Outcome]:
        """One ``AIMessage`` or exception per input, in input order (waits for the job unless ``wait=False``)."""
        from qwen_core.batch import run as batch_run

        with translate_errors():
            results = batch_run.retrieve_chat(self.client, _job(job_id), _message, wait=wait,
                                              options=self._wait_options())
        return [_outcome(value) for value in results]

    async def abatch_api_retrieve(self, job_id: str, *, wait: bool = True) -> list[Outcome]:
        from qwen_core.batch import run as batch_run

        with translate_errors():
            results = await batch_run.aretrieve_chat(self.client, _job(job_id), _message, wait=wait,
                                                     options=self._wait_options())
        return [_outcome(value) for value in results]

    def batch_api_cancel(self, job_id: str) -> JobStatus:
        """Ask the service to cancel the job (finished requests keep their results)."""
        with translate_errors():
            return self.client.batch.cancel_job(_job(job_id))

    async def abatch_api_cancel(self, job_id: str) -> JobStatus:
        with translate_errors():
            return await self.client.batch.acancel_job(_job(job_id))

    # -- batch / abatch -----------------------------------------------------------------------------

    def _batch_via_api(self, inputs: list[LanguageModelInput], config: RunnableConfig | list[RunnableConfig] | None,
                       return_exceptions: bool, kwargs: dict[str, Any]) -> list[AIMessage]:
        """``batch`` through one batch job (``ChatQwen.batch`` calls this when ``use_batch_api`` is set)."""
        from qwen_core.batch import run as batch_run

        conversations = self._batch_messages(inputs)
        requests = self._batch_requests(conversations, dict(kwargs))
        runs = [self._start_run(config, messages, kwargs) for config, messages in
                zip(get_config_list(config, len(inputs)), conversations, strict=True)]
        try:
            with translate_errors():
                client = self.client
                job = batch_run.submit_chat(client, requests, model_info=self.model_info)
                results = batch_run.retrieve_chat(client, job, _message, options=self._wait_options())
        except BaseException as error:
            for run in runs:
                run.on_llm_error(error)
            raise
        outcomes = [_outcome(value) for value in results]
        for run, outcome in zip(runs, outcomes, strict=True):
            _finish(run, outcome)
        return _returned(outcomes, return_exceptions)

    async def _abatch_via_api(self, inputs: list[LanguageModelInput],
                              config: RunnableConfig | list[RunnableConfig] | None, return_exceptions: bool,
                              kwargs: dict[str, Any]) -> list[AIMessage]:
        from qwen_core.batch import run as batch_run

        conversations = self._batch_messages(inputs)
        requests = self._batch_requests(conversations, dict(kwargs))
        runs = [await self._astart_run(config, messages, kwargs) for config, messages in
                zip(get_config_list(config, len(inputs)), conversations, strict=True)]
        try:
            with translate_errors():
                client = self.client
                job = await batch_run.asubmit_chat(client, requests, model_info=self.model_info)
                results = await batch_run.aretrieve_chat(client, job, _message, options=self._wait_options())
        except BaseException as error:
            for run in runs:
                await run.on_llm_error(error)
            raise
        outcomes = [_outcome(value) for value in results]
        for run, outcome in zip(runs, outcomes, strict=True):
            await _afinish(run, outcome)
        return _returned(outcomes, return_exceptions)

    # -- callbacks ----------------------------------------------------------------------------------

    def _run_arguments(self, config: RunnableConfig) -> dict[str, Any]:
        return {
            "inheritable_callbacks": config.get("callbacks"), "local_callbacks": getattr(self, "callbacks", None),
            "verbose": bool(getattr(self, "verbose", False)), "inheritable_tags": config.get("tags"),
            "local_tags": getattr(self, "tags", None), "inheritable_metadata": config.get("metadata"),
            "local_metadata": getattr(self, "metadata", None),
        }

    def _start_run(self, config: RunnableConfig, messages: list[BaseMessage], kwargs: dict[str, Any]) -> Any:
        manager = CallbackManager.configure(**self._run_arguments(config))
        return manager.on_chat_model_start(
            self._serialized, [messages], invocation_params=self._get_invocation_params(**kwargs),  # type: ignore[attr-defined]
            name=config.get("run_name"), run_id=config.get("run_id"), batch_size=1,
        )[0]

    async def _astart_run(self, config: RunnableConfig, messages: list[BaseMessage], kwargs: dict[str, Any]) -> Any:
        manager = AsyncCallbackManager.configure(**self._run_arguments(config))
        runs = await manager.on_chat_model_start(
            self._serialized, [messages], invocation_params=self._get_invocation_params(**kwargs),  # type: ignore[attr-defined]
            name=config.get("run_name"), run_id=config.get("run_id"), batch_size=1,
        )
        return runs[0]


def _llm_result(message: AIMessage) -> LLMResult:
    return LLMResult(generations=[[ChatGeneration(message=message)]])


def _finish(run: Any, outcome: Outcome) -> None:
    if isinstance(outcome, Exception):
        run.on_llm_error(outcome)
    else:
        run.on_llm_end(_llm_result(outcome))


async def _afinish(run: Any, outcome: Outcome) -> None:
    if isinstance(outcome, Exception):
        await run.on_llm_error(outcome)
    else:
        await run.on_llm_end(_llm_result(outcome))


def _returned(outcomes: list[Outcome], return_exceptions: bool) -> list[AIMessage]:
    if not return_exceptions:
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
    return outcomes  # type: ignore[return-value]  # exceptions in place, as Runnable.batch returns them


__all__ = ["BatchApiFields", "ChatBatchApi"]
