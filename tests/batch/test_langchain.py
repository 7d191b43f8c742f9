"""ChatQwen and QwenEmbeddings through the Batch API, against the emulator."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage

from langchain_qwen import ChatQwen, QwenEmbeddings
from langchain_qwen._errors import QwenContentInspectionError
from qwen_core.emulator import Emulator, HTTPFault, ScriptedReply
from tests._support.constants import API_KEY

CHAT = "/compatible-mode/v1/chat/completions"


def batch_llm(emu: Emulator, **fields: Any) -> ChatQwen:
    return ChatQwen(api_key=API_KEY, base_url=emu.base_url, use_batch_api=True, batch_api_poll_interval=0.05,
                    batch_api_progress=False, **fields)


def paths(emu: Emulator) -> set[str]:
    return {record.path for record in emu.requests}


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.started: list[UUID] = []
        self.ended: list[str] = []
        self.errors: list[BaseException] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.started.append(run_id)

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.ended.append(response.generations[0][0].message.content)

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.errors.append(error)


def test_batch_routes_through_one_job_in_input_order(emu: Emulator) -> None:
    recorder = Recorder()
    answers = batch_llm(emu).batch([f"question {n}" for n in range(8)], config={"callbacks": [recorder]})
    assert [a.content for a in answers] == [f"Echo: question {n}" for n in range(8)]
    assert all(isinstance(a, AIMessage) and a.usage_metadata for a in answers)
    assert CHAT not in paths(emu) and "/compatible-mode/v1/batches" in paths(emu)
    assert len(recorder.started) == 8 and recorder.ended == [a.content for a in answers]


def test_without_the_switch_batch_stays_live(emu: Emulator) -> None:
    llm = ChatQwen(api_key=API_KEY, base_url=emu.base_url)
    assert [a.content for a in llm.batch(["a", "b"])] == ["Echo: a", "Echo: b"]
    assert paths(emu) == {CHAT}


def test_failed_items_raise_or_are_returned(emu: Emulator) -> None:
    llm = batch_llm(emu)
    fault = HTTPFault(400, "DataInspectionFailed", "Input data may contain inappropriate content.")
    emu.enqueue(ScriptedReply(text="first"), fault, path=CHAT)
    recorder = Recorder()
    results = llm.batch(["one", "two", "three"], config={"callbacks": [recorder]}, return_exceptions=True)
    assert results[0].content == "first" and results[2].content == "Echo: three"
    assert isinstance(results[1], QwenContentInspectionError) and results[1].request_id
    assert len(recorder.errors) == 1
    emu.enqueue(fault, path=CHAT)
    with pytest.raises(QwenContentInspectionError):
        llm.batch(["one", "two"])


def test_bound_tools_and_per_call_options_go_into_the_lines(emu: Emulator) -> None:
    def get_weather(city: str) -> str:
        """Weather of a city."""
        return city

    llm = batch_llm(emu, temperature=0.2).bind_tools([get_weather], tool_choice="get_weather")
    (answer,) = llm.batch(["Weather in Oslo?"], max_tokens=50)
    assert answer.tool_calls[0]["name"] == "get_weather"
    upload = next(r for r in emu.requests if r.path.endswith("/files"))
    assert b'"max_tokens":50' in upload.body and b'"temperature":0.2' in upload.body and b'"tools"' in upload.body


def test_bad_input_fails_before_anything_is_sent(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="cannot be changed per call"):
        batch_llm(emu).batch(["x"], use_batch_api=False)
    assert len(emu.requests) == 0


def test_explicit_submit_status_retrieve_cancel(emu: Emulator) -> None:
    llm = batch_llm(emu)
    job_id = llm.batch_api_submit(["x", "y", "z"])
    assert llm.batch_api_status(job_id).status in ("validating", "in_progress", "finalizing", "completed")
    later = batch_llm(emu)  # another instance (or process) collects by id
    assert [a.content for a in later.batch_api_retrieve(job_id)] == ["Echo: x", "Echo: y", "Echo: z"]
    assert later.batch_api_status(job_id).status == "completed"
    emu.batches.timing = type(emu.batches.timing)(validating=0.05, in_progress=5.0, cancelling=0.05)
    slow = llm.batch_api_submit(["slow"])
    assert llm.batch_api_cancel(slow).status == "cancelling"


async def test_async_forms(emu: Emulator) -> None:
    llm = batch_llm(emu)
    answers = await llm.abatch(["p", "q"])
    assert [a.content for a in answers] == ["Echo: p", "Echo: q"]
    job_id = await llm.abatch_api_submit(["r"])
    assert (await llm.abatch_api_status(job_id)).job.id == job_id
    assert [a.content for a in await llm.abatch_api_retrieve(job_id)] == ["Echo: r"]
    emu.batches.timing = type(emu.batches.timing)(validating=0.05, in_progress=5.0, cancelling=0.05)
    assert (await llm.abatch_api_cancel(await llm.abatch_api_submit(["s"]))).status == "cancelling"
    await llm.aclose()


def test_structured_output_batches_through_the_api(emu: Emulator) -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        name: str

    structured = batch_llm(emu).with_structured_output(City)
    results = structured.batch(["Paris", "Oslo"])
    assert all(isinstance(r, City) for r in results)
    assert CHAT not in paths(emu)


def test_embeddings_through_the_batch_api(emu: Emulator) -> None:
    texts = [f"passage {n}" for n in range(25)]
    batched = QwenEmbeddings(api_key=API_KEY, base_url=emu.base_url, use_batch_api=True, dimensions=64,
                             batch_api_poll_interval=0.05, batch_api_progress=False)
    live = QwenEmbeddings(api_key=API_KEY, base_url=emu.base_url, api="compatible", dimensions=64)
    assert batched.embed_documents(texts) == live.embed_documents(texts)
    assert "/compatible-mode/v1/batches" in paths(emu)
    assert len(batched.embed_query("passage")) == 64  # queries stay live


async def test_async_embeddings_through_the_batch_api(emu: Emulator) -> None:
    batched = QwenEmbeddings(api_key=API_KEY, base_url=emu.base_url, use_batch_api=True, dimensions=64,
                             batch_api_poll_interval=0.05, batch_api_progress=False)
    vectors = await batched.aembed_documents(["a b", "c d", "e f"])
    assert len(vectors) == 3 and all(len(v) == 64 for v in vectors)
    await batched.aclose()
