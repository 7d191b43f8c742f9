"""The measures. Each runs in a worker process (``run.py --worker NAME``) and returns a JSON-able dict.

Method: subjects are interleaved (A B C ... A B C ...) in rounds; each round times a small batch per subject; a
subject's ratio is the median over rounds of (subject batch / floor batch of the same round), so slow phases of a
noisy machine hit both sides of a ratio. Spread is reported as the min and max of the per-round values.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from _subjects import BASELINE_KEYS, FLOORS, FRAMEWORK_FLOORS, OUR_KEYS, Env, Subject, build

if TYPE_CHECKING:
    from qwen_core.types import Api

Result = dict[str, Any]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid``, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _emulator_cpu() -> float:
    """CPU seconds used so far by the emulator process (to check it is not the bottleneck)."""
    return process_cpu(int(os.environ["BENCH_EMULATOR_PID"]))


class EmuMeter:
    """Tracks the emulator's busiest share of its core over the timed batches of one measure."""

    def __init__(self) -> None:
        self.max_busy = 0.0

    def start(self) -> tuple[float, float]:
        return _emulator_cpu(), time.perf_counter()

    def stop(self, mark: tuple[float, float]) -> float:
        """Record the batch; return the emulator's CPU seconds during it."""
        cpu0, t0 = mark
        wall = time.perf_counter() - t0
        used = _emulator_cpu() - cpu0
        if wall > 0.25:  # /proc counts CPU in 10 ms ticks: shorter batches would show quantisation, not load
            self.max_busy = max(self.max_busy, used / wall)
        return used


def _freeze_setup() -> None:
    """Collect, then move every object alive now out of the collector's reach (``gc.freeze``); call after warm-up.

    This process holds every framework and every subject at once (an application loads one). A full
    collection scans all of it and pauses for ~200 ms here, landing in whichever batch happens to run, which
    made single rounds 3x slower at random. Frozen, the setup is not scanned again; what the timed code
    allocates is still collected as usual, for every subject alike.
    """
    gc.collect()
    gc.freeze()


def _spread(values: list[float]) -> list[float]:
    return [min(values), max(values)] if values else []


def _floor_of(sub: Subject) -> str:
    return "raw-compat" if sub.protocol == "compatible" else "raw-native"


def _paired_floor(key: str, sub: Subject, subjects: dict[str, Subject]) -> Subject | None:
    """The floor to time right before ``sub``'s batch (``None`` for the floors themselves, or when it is missing)."""
    return None if key in FLOORS else subjects.get(_floor_of(sub))


def _row(key: str, sub: Subject, **fields: Any) -> dict[str, Any]:
    return {"key": key, "subject": sub.name, "kind": sub.kind, "protocol": sub.protocol, **fields}


# ---------------------------------------------------------------------------------------------- 1. one call


def measure_call(env: Env, quick: bool) -> Result:
    env.latency(0)
    subjects, errors = build(env, FLOORS + FRAMEWORK_FLOORS + OUR_KEYS + BASELINE_KEYS)
    rounds, batch = (3, 20) if quick else (12, 40)
    meter = EmuMeter()
    times: dict[str, list[float]] = {k: [] for k in subjects}
    cpus: dict[str, list[float]] = {k: [] for k in subjects}
    emu: dict[str, list[float]] = {k: [] for k in subjects}
    for key, sub in list(subjects.items()):  # warm up: pools, lazy imports, caches
        try:
            for _ in range(10):
                sub.call()  # type: ignore[misc]
        except Exception as exc:
            errors[key] = f"{type(exc).__name__}: {exc}"[:300]
            del subjects[key]
    _freeze_setup()
    for _ in range(rounds):
        for key, sub in subjects.items():
            call = sub.call
            assert call is not None
            gc.collect()
            mark = meter.start()
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(batch):
                call()
            times[key].append((time.perf_counter() - t0) / batch)
            cpus[key].append((time.process_time() - c0) / batch)
            emu[key].append(meter.stop(mark) / batch)
    rows = []
    for key, sub in subjects.items():
        floor = times[_floor_of(sub)]
        ratios = [t / f for t, f in zip(times[key], floor, strict=True)]
        cpu_ratios = [t / f for t, f in zip(cpus[key], cpus[_floor_of(sub)], strict=True)]
        rows.append(_row(key, sub, ms=statistics.median(times[key]) * 1e3, ratio=statistics.median(ratios),
                         spread=_spread(ratios), cpu_ms=statistics.median(cpus[key]) * 1e3,
                         cpu_ratio=statistics.median(cpu_ratios), emulator_cpu_ms=sum(emu[key]) / len(emu[key]) * 1e3))
    # per subject, summed over all its batches (long enough for /proc's 10 ms ticks): the emulator's busy share
    busiest = max((sum(emu[k]) / sum(times[k]) for k in subjects if times[k]), default=0.0)
    return {"rows": rows, "errors": errors, "emulator_busy_max": max(busiest, meter.max_busy), "rounds": rounds,
            "batch": batch}


# ---------------------------------------------------------------------------------------------- 2. stream CPU


def _stream_batch(env: Env, sub: Subject, per_batch: int, mixed: bool) -> tuple[float, int]:
    """CPU seconds per consumed stream (mean of ``per_batch``) and the deltas the last one yielded."""
    stream = sub.stream
    assert stream is not None
    total, seen = 0.0, 0
    for _ in range(per_batch):
        if mixed:
            env.control("script mixed 1")
        c0 = time.process_time()
        seen = stream()
        total += time.process_time() - c0
    return total / per_batch, seen


def _stream_rounds(env: Env, subjects: dict[str, Subject], rounds: int, per_batch: int, mixed: bool,
                   meter: EmuMeter) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Per subject and round: its CPU per stream, and its floor's, timed right before it (paired).

    The machine's speed drifts over seconds on a shared host; a floor batch timed next to each subject's batch
    keeps that drift out of the difference better than one floor batch per round.
    """
    cpu: dict[str, list[float]] = {k: [] for k in subjects}
    paired: dict[str, list[float]] = {k: [] for k in subjects}
    seen: dict[str, int] = {}
    for _ in range(rounds):
        for key, sub in subjects.items():
            floor = _paired_floor(key, sub, subjects)
            gc.collect()  # before each batch pair, so no batch inherits the previous one's garbage
            mark = meter.start()
            if floor is not None:
                floor_cpu, seen[_floor_of(sub)] = _stream_batch(env, floor, per_batch, mixed)
                paired[key].append(floor_cpu)
            value, seen[key] = _stream_batch(env, sub, per_batch, mixed)
            cpu[key].append(value)
            meter.stop(mark)
    return cpu, paired, seen


def measure_stream(env: Env, quick: bool) -> Result:
    env.latency(0)
    rounds, per_batch = (2, 2) if quick else (21, 6)
    meter = EmuMeter()
    rows = []
    errors: dict[str, str] = {}
    for scenario, keys in (("text", FLOORS + FRAMEWORK_FLOORS + OUR_KEYS + BASELINE_KEYS),
                          ("mixed", FLOORS + OUR_KEYS)):
        subjects, errs = build(env, keys)
        errors.update({f"{k} ({scenario})": v for k, v in errs.items()})
        mixed = scenario == "mixed"
        for key, sub in list(subjects.items()):  # warm up
            try:
                if mixed:
                    env.control("script mixed 1")
                sub.stream()  # type: ignore[misc]
            except Exception as exc:
                errors[f"{key} ({scenario})"] = f"{type(exc).__name__}: {exc}"[:300]
                del subjects[key]
        _freeze_setup()
        cpu, paired, seen = _stream_rounds(env, subjects, rounds, per_batch, mixed, meter)
        for key, sub in subjects.items():
            floor_key = _floor_of(sub)
            if key in FLOORS or floor_key not in cpu:
                if key in FLOORS:
                    rows.append(_row(key, sub, scenario=scenario, chunks=seen[key],
                                     cpu_ms=statistics.median(cpu[key]) * 1e3, added_us=0.0, spread=[]))
                continue
            chunks = seen[floor_key]  # SSE data events in the same stream, counted by the raw loop
            added = [(c - f) / chunks * 1e6 for c, f in zip(cpu[key], paired[key], strict=True)]
            rows.append(_row(key, sub, scenario=scenario, chunks=chunks, deltas=seen[key],
                             cpu_ms=statistics.median(cpu[key]) * 1e3, added_us=statistics.median(added),
                             spread=_spread(added)))
    return {"rows": rows, "errors": errors, "emulator_busy_max": meter.max_busy, "rounds": rounds,
            "per_batch": per_batch}


# ---------------------------------------------------------------------------------------------- 3. concurrency


async def _gather(fn: Callable[[], Any], n: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    results = await asyncio.gather(*(fn() for _ in range(n)), return_exceptions=True)
    wall = time.perf_counter() - t0
    return wall, sum(1 for r in results if isinstance(r, BaseException))


async def _concurrency(env: Env, quick: bool) -> Result:
    env.latency(0.05)
    subjects, errors = build(env, FLOORS + FRAMEWORK_FLOORS + OUR_KEYS + BASELINE_KEYS)
    rounds, n = (2, 200) if quick else (13, 200)
    meter = EmuMeter()
    for key, sub in list(subjects.items()):
        try:
            _, failed = await _gather(sub.acall, 20)  # type: ignore[arg-type]
            if failed:
                raise RuntimeError(f"{failed} of 20 warm-up calls failed")
        except Exception as exc:
            errors[key] = f"{type(exc).__name__}: {exc}"[:300]
            del subjects[key]
    _freeze_setup()
    walls: dict[str, list[float]] = {k: [] for k in subjects}
    paired: dict[str, list[float]] = {k: [] for k in subjects}  # the floor's wall, timed right before the subject
    failures: dict[str, int] = {k: 0 for k in subjects}
    for _ in range(rounds):
        for key, sub in subjects.items():
            floor = _paired_floor(key, sub, subjects)
            gc.collect()
            mark = meter.start()
            if floor is not None:
                paired[key].append((await _gather(floor.acall, n))[0])  # type: ignore[arg-type]
            wall, failed = await _gather(sub.acall, n)  # type: ignore[arg-type]
            meter.stop(mark)
            walls[key].append(wall)
            failures[key] += failed
    rows = []
    for key, sub in subjects.items():
        floor_walls = paired[key] if key not in FLOORS else walls[key]
        ratios = [w / f for w, f in zip(walls[key], floor_walls, strict=True)]
        rows.append(_row(key, sub, wall_s=statistics.median(walls[key]), ratio=statistics.median(ratios),
                         spread=_spread(ratios), failures=failures[key]))
    # 1,000 concurrent calls on fresh instances of ours: no error, bounded connections
    from qwen_core.transport._common import MAX_CONNECTIONS

    big = []
    fresh, errs = build(env, OUR_KEYS)
    errors.update({f"{k} (1000)": v for k, v in errs.items()})
    for key, sub in fresh.items():
        before = env.conns()
        wall, failed = await _gather(sub.acall, 1000)  # type: ignore[arg-type]
        opened = env.conns() - before
        big.append(_row(key, sub, calls=1000, failures=failed, connections=opened, wall_s=wall,
                        bound=MAX_CONNECTIONS, ok=failed == 0 and opened <= MAX_CONNECTIONS))
    for sub in subjects.values():
        if sub.aclose is not None:
            await sub.aclose()
    return {"rows": rows, "big": big, "errors": errors, "emulator_busy_max": meter.max_busy, "rounds": rounds,
            "n": n, "latency_s": 0.05}


def measure_concurrency(env: Env, quick: bool) -> Result:
    return asyncio.run(_concurrency(env, quick))


# ---------------------------------------------------------------------------------------------- 4. reuse


def measure_reuse(env: Env, quick: bool) -> Result:
    env.latency(0)
    calls = 20
    rows = []
    errors: dict[str, str] = {}
    for mode in ("sync", "async"):
        subjects, errs = build(env, OUR_KEYS + BASELINE_KEYS)
        errors.update({f"{k} ({mode})": v for k, v in errs.items()})
        for key, sub in subjects.items():
            try:
                before = env.conns()
                if mode == "sync":
                    for _ in range(calls):
                        sub.call()  # type: ignore[misc]
                else:
                    asyncio.run(_sequential(sub, calls))
                opened = env.conns() - before
            except Exception as exc:
                errors[f"{key} ({mode})"] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            rows.append(_row(key, sub, mode=mode, calls=calls, connections=opened, ok=opened <= 1))
    return {"rows": rows, "errors": errors}


async def _sequential(sub: Subject, calls: int) -> None:
    for _ in range(calls):
        await sub.acall()  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------- 5. import time

IMPORTS = {
    "langchain-core BaseChatModel": "from langchain_core.language_models import BaseChatModel",
    "langchain_qwen ChatQwen": "from langchain_qwen import ChatQwen",
    "llama-index-core LLM": "from llama_index.core.llms import LLM",
    "llama_index_qwen Qwen": "from llama_index_qwen import Qwen",
}
IMPORT_PAIRS = (("langchain_qwen ChatQwen", "langchain-core BaseChatModel", 1.15),
                ("llama_index_qwen Qwen", "llama-index-core LLM", 1.10))


def _import_time(stmt: str) -> float:
    code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure_import(env: Env, quick: bool) -> Result:
    del env
    rounds = 4 if quick else 20
    # pip compiles the bytecode of what it installs; the checkout's packages (an editable install) get theirs here,
    # or under PYTHONDONTWRITEBYTECODE every fresh interpreter would compile ours from source while reading the
    # frameworks' cached bytecode
    import compileall

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for package in ("qwen_core", "langchain_qwen", "llama_index_qwen"):
        compileall.compile_dir(os.path.join(root, package), quiet=1)
    for stmt in IMPORTS.values():  # warm the page cache
        _import_time(stmt)
    times: dict[str, list[float]] = {k: [] for k in IMPORTS}
    order = list(IMPORTS.items())
    for round_ in range(rounds):
        # every other round in reverse (A B, B A, ...), so a machine speeding up or slowing down during a round
        # does not always favour the statement timed first
        for name, stmt in order if round_ % 2 == 0 else order[::-1]:
            times[name].append(_import_time(stmt))
    rows = []
    for ours, base, target in IMPORT_PAIRS:
        ratios = [a / b for a, b in zip(times[ours], times[base], strict=True)]
        rows.append({"subject": ours, "baseline": base, "ms": statistics.median(times[ours]) * 1e3,
                     "baseline_ms": statistics.median(times[base]) * 1e3, "ratio": statistics.median(ratios),
                     "spread": _spread(ratios), "target": target})
    return {"rows": rows, "rounds": rounds}


# ---------------------------------------------------------------------------------------------- 6. memory

MEMORY_KEYS = ("core-compat", "ChatQwen-compat", "ChatQwen-native", "Qwen-compat")


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_memory_one(env: Env, key: str, n: int) -> Result:
    """In its own process: RSS after a warm-up, and after ``n`` more invokes."""
    env.latency(0)
    subjects, errors = build(env, (key,))
    if errors:
        return {"key": key, "error": errors[key]}
    sub = subjects[key]
    call = sub.call
    assert call is not None
    for _ in range(300):
        call()
    gc.collect()
    rss0 = _rss_mib()
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    wall = time.perf_counter() - t0
    gc.collect()
    rss1 = _rss_mib()
    return {"key": key, "subject": sub.name, "invokes": n, "rss_start_mib": rss0, "rss_end_mib": rss1,
            "growth_mib": rss1 - rss0, "wall_s": wall}


def measure_memory(env: Env, quick: bool) -> Result:
    del env
    n = 1000 if quick else 10_000
    rows = []
    for key in MEMORY_KEYS:
        out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "run.py"), "--worker",
                              "memory-one", "--subject", key, "--invokes", str(n)],
                             capture_output=True, text=True, check=False)
        rows.append(_last_json(out, key))
    return {"rows": rows, "invokes": n}


def _last_json(out: subprocess.CompletedProcess[str], key: str) -> dict[str, Any]:
    import json

    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"key": key, "error": (out.stderr or out.stdout)[-500:]}


# ---------------------------------------------------------------------------------------------- 7. embeddings

EMBED_DIMENSIONS = 256  # keeps each 10-text answer small, so JSON size does not hide the client's own cost


def _embed_subjects(env: Env, api: Api) -> dict[str, Any]:
    from pydantic import SecretStr

    from langchain_qwen import QwenEmbeddings
    from llama_index_qwen.embeddings import QwenEmbedding

    key = SecretStr(API_KEY_EMB)
    lc = QwenEmbeddings(api_key=key, base_url=env.base_url, api=api, dimensions=EMBED_DIMENSIONS)
    li = QwenEmbedding(api_key=key, base_url=env.base_url, api=api, dimensions=EMBED_DIMENSIONS)
    label = "compat" if api == "compatible" else "native"
    return {
        f"QwenEmbeddings ({label})": (lc, lambda texts: lc.aembed_documents(texts)),
        f"QwenEmbedding/LlamaIndex ({label})": (li, lambda texts: li.aget_text_embedding_batch(texts)),
    }


API_KEY_EMB = "sk-bench"


async def _embeddings(env: Env, quick: bool) -> Result:
    import math

    latency = 0.05
    env.latency(latency)
    n = 1000 if quick else 10_000
    rounds = 1 if quick else 2
    texts = [f"document number {i} about topic {i % 37}" for i in range(n)]
    subjects: dict[str, Any] = {}
    errors: dict[str, str] = {}
    apis: tuple[Api, ...] = ("dashscope", "compatible")
    for api in apis:
        try:
            subjects.update(_embed_subjects(env, api))
        except Exception as exc:
            errors[api] = f"{type(exc).__name__}: {exc}"[:300]
    subjects["raw aiohttp (same batches)"] = (None, _raw_embedder(env))
    meter = EmuMeter()
    walls: dict[str, list[float]] = {k: [] for k in subjects}
    info: dict[str, tuple[int, int]] = {"raw aiohttp (same batches)": (10, 8)}
    for name, (obj, fn) in list(subjects.items()):
        try:
            vectors = await fn(texts[:50])
            assert len(vectors) == 50
            if obj is None:
                continue
            batch = int(getattr(obj, "_batch_size", 0) or getattr(obj, "embed_batch_size", 10))
            concurrency = int(getattr(obj, "max_concurrency", 8))
            info[name] = (batch, concurrency)
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
            del subjects[name]
    _freeze_setup()
    vectors = []
    for _ in range(rounds):
        for name, (_, fn) in subjects.items():
            vectors = []  # the previous subject's 10,000 vectors are not the next one's garbage
            gc.collect()
            mark = meter.start()
            t0 = time.perf_counter()
            vectors = await fn(texts)
            walls[name].append(time.perf_counter() - t0)
            meter.stop(mark)
            assert len(vectors) == n
    rows = []
    for name in subjects:
        batch, concurrency = info[name]
        ideal = math.ceil(math.ceil(n / batch) / concurrency) * latency
        wall = statistics.median(walls[name])
        rows.append({"subject": name, "kind": "floor" if name.startswith("raw") else "ours", "texts": n,
                     "batch": batch, "concurrency": concurrency, "wall_s": wall, "ideal_s": ideal,
                     "ratio": wall / ideal, "spread": _spread([w / ideal for w in walls[name]])})
    raw_floor = subjects.get("raw aiohttp (same batches)")
    if raw_floor is not None:
        await raw_floor[1](None)
    return {"rows": rows, "errors": errors, "emulator_busy_max": meter.max_busy, "latency_s": latency}


def _raw_embedder(env: Env) -> Callable[[list[str] | None], Any]:
    """The floor: raw aiohttp POSTs of 10-text compatible batches, 8 in flight, JSON-decoded."""
    import json

    url = env.compat + "/embeddings"
    headers = {"Authorization": f"Bearer {API_KEY_EMB}", "Content-Type": "application/json"}
    session: list[Any] = []

    async def embed(texts: list[str] | None) -> list[Any]:
        if texts is None:  # close
            if session:
                await session.pop().close()
            return []
        if not session:
            import aiohttp

            session.append(aiohttp.ClientSession())
        gate = asyncio.Semaphore(8)

        async def one(batch: list[str]) -> list[Any]:
            body = json.dumps({"model": "text-embedding-v4", "input": batch, "dimensions": EMBED_DIMENSIONS,
                               "encoding_format": "float"}).encode()
            async with gate, session[0].post(url, data=body, headers=headers) as response:
                return [item["embedding"] for item in json.loads(await response.read())["data"]]

        parts = await asyncio.gather(*(one(texts[i:i + 10]) for i in range(0, len(texts), 10)))
        return [vector for part in parts for vector in part]

    return embed


def measure_embeddings(env: Env, quick: bool) -> Result:
    return asyncio.run(_embeddings(env, quick))


MEASURES: dict[str, Callable[[Env, bool], Result]] = {
    "call": measure_call,
    "stream": measure_stream,
    "concurrency": measure_concurrency,
    "reuse": measure_reuse,
    "import": measure_import,
    "memory": measure_memory,
    "embeddings": measure_embeddings,
}
