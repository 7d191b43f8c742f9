"""All six classes inside Ray: pickled to local Ray workers (Ray tasks) and used in Ray Data ``map_batches``.

One module-scoped local Ray (2 CPUs, no dashboard); the emulator runs in this process on loopback and the
workers (local processes) call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="Ray is in the 'ray' extra (installed by the 'test' extra)")

from langchain_qwen import ChatQwen, QwenEmbeddings  # noqa: E402
from langchain_qwen import QwenRerank as LangChainRerank  # noqa: E402
from llama_index_qwen import Qwen, QwenEmbedding  # noqa: E402
from llama_index_qwen import QwenRerank as LlamaRerank  # noqa: E402
from qwen_core.emulator import Emulator  # noqa: E402
from tests._support.constants import API_KEY  # noqa: E402

# Ray Data's own context warns about its deprecated settings on first use (not ours).
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context"),
    pytest.mark.timeout(300),  # starting local Ray on 2 cores takes a while
]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    import sys

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def _use(obj: Any) -> Any:
    """What a worker does with each class (runs inside the Ray worker process)."""
    from langchain_core.documents import Document
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.schema import NodeWithScore, TextNode

    name = type(obj).__name__
    module = type(obj).__module__.split(".")[0]
    if name == "ChatQwen":
        return obj.invoke("from a worker").content
    if name == "Qwen":
        return obj.chat([ChatMessage(role="user", content="from a worker")]).message.content
    if name in ("QwenEmbeddings", "QwenEmbedding"):
        vectors = obj.embed_documents(["a b"]) if module == "langchain_qwen" else obj.get_text_embedding_batch(["a b"])
        return len(vectors[0])
    if module == "langchain_qwen":
        docs = obj.compress_documents([Document(page_content="cat"), Document(page_content="dog")], "cat")
        return docs[0].page_content
    nodes = [NodeWithScore(node=TextNode(text="cat")), NodeWithScore(node=TextNode(text="dog"))]
    return obj.postprocess_nodes(nodes, query_str="cat")[0].node.get_content()


def test_all_six_classes_work_inside_ray_tasks(local_ray: Any, emu: Emulator) -> None:
    connection = {"api_key": API_KEY, "base_url": emu.base_url}
    objects = [
        ChatQwen(**connection), QwenEmbeddings(dimensions=64, **connection), LangChainRerank(**connection),
        Qwen(**connection), QwenEmbedding(dimensions=64, **connection), LlamaRerank(**connection),
    ]
    for obj in objects:  # a used instance (open pools) pickles too
        _use(obj)
    remote = local_ray.remote(_use)
    results = local_ray.get([remote.remote(obj) for obj in objects], timeout=120)
    assert results == ["Echo: from a worker", 64, "cat", "Echo: from a worker", 64, "cat"]


class LangChainEmbedder:
    """A Ray Data callable class: one embeddings instance per worker, reused for every batch."""

    def __init__(self, embeddings: QwenEmbeddings) -> None:
        self.embeddings = embeddings

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        batch["vector"] = self.embeddings.embed_documents(list(batch["text"]))
        return batch


def test_ray_data_map_batches_embeds_a_dataset_and_writes_vectors(local_ray: Any, emu: Emulator,
                                                                   tmp_path: Path) -> None:
    texts = [f"passage {n} about topic {n % 5}" for n in range(40)]
    embeddings = QwenEmbeddings(api_key=API_KEY, base_url=emu.base_url, dimensions=64)
    dataset = local_ray.data.from_items([{"id": n, "text": t} for n, t in enumerate(texts)])
    vectors = dataset.map_batches(LangChainEmbedder, fn_constructor_args=(embeddings,), batch_size=16,
                                  concurrency=1)
    vectors.write_parquet(str(tmp_path / "vectors"))
    rows = sorted(local_ray.data.read_parquet(str(tmp_path / "vectors")).take_all(), key=lambda r: r["id"])
    assert [list(r["vector"]) for r in rows] == embeddings.embed_documents(texts)

    llama = QwenEmbedding(api_key=API_KEY, base_url=emu.base_url, dimensions=64)

    def embed(batch: dict[str, Any]) -> dict[str, Any]:
        batch["vector"] = llama.get_text_embedding_batch(list(batch["text"]))
        return batch

    taken = local_ray.data.from_items([{"text": t} for t in texts[:8]]).map_batches(embed, batch_size=4).take_all()
    assert sorted(len(r["vector"]) for r in taken) == [64] * 8
