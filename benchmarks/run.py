"""Performance benchmarks: our classes vs the raw transport floor and the other Qwen integrations, in one run.

Usage (from the repository root; ``benchmarks/run.sh`` builds the benchmark venv first and passes arguments on):

    benchmarks/run.sh                     # every measure, ~6-8 minutes on a 2-core machine
    benchmarks/run.sh --quick             # smoke run, ~2 minutes
    benchmarks/run.sh --only call,stream  # some measures only
    benchmarks/run.sh --profile call:ChatQwen-compat   # cProfile one subject's hot path

The emulator (``qwen_core.emulator``) runs in its own process pinned to core 0; the measuring processes are pinned
to core 1. Results: a table with targets and PASS/FAIL on stdout, ``benchmarks/results/latest.json``,
``benchmarks/results/benchmark.png`` and a markdown table for the README.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ("call", "stream", "concurrency", "reuse", "import", "memory", "embeddings")


def _pin(cpu: int) -> None:
    """Pin this process (and so its children) to ``cpu``, and raise its priority when allowed.

    A higher priority keeps other work on a busy machine from delaying the client's and the emulator's wake-ups,
    which would otherwise add milliseconds of scheduler wait to every loopback round trip.
    """
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})
    with contextlib.suppress(OSError, AttributeError):
        os.nice(-20)


class EmulatorProcess:
    """``benchmarks/_emulator.py`` in a child process on core 0."""

    def __init__(self) -> None:
        cpu = ["--cpu", "0"] if (os.cpu_count() or 1) > 1 else []
        self.proc = subprocess.Popen([sys.executable, str(HERE / "_emulator.py"), *cpu], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=_child_env())
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        info = json.loads(line)
        self.base_url: str = info["base_url"]
        self.control: int = info["control"]
        self.pid: int = info["pid"]

    def cpu_seconds(self) -> float:
        from _measures import process_cpu

        return process_cpu(self.pid)

    def env(self) -> dict[str, str]:
        env = _child_env()
        env.update(BENCH_BASE_URL=self.base_url, BENCH_CONTROL_PORT=str(self.control),
                   BENCH_EMULATOR_PID=str(self.pid), PYTHONWARNINGS="ignore", TOKENIZERS_PARALLELISM="false")
        return env

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _child_env() -> dict[str, str]:
    """The environment of child processes: no real credentials or endpoints; the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "OPENAI_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p)
    return env


def run_worker(emu: EmulatorProcess, name: str, quick: bool) -> dict[str, Any]:
    RESULTS.mkdir(exist_ok=True)
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", name] + (["--quick"] if quick else [])
    cpu0, t0 = emu.cpu_seconds(), time.perf_counter()
    with open(RESULTS / f"{name}.log", "w") as log:
        out = subprocess.run(args, stdout=subprocess.PIPE, stderr=log, text=True, env=emu.env(), check=False)
    wall = time.perf_counter() - t0
    result: dict[str, Any] = {"error": f"worker exited {out.returncode}; see benchmarks/results/{name}.log"}
    for line in reversed(out.stdout.strip().splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            break
    result["measure_wall_s"] = wall
    result["emulator_busy_avg"] = (emu.cpu_seconds() - cpu0) / wall if wall else 0.0
    return result


def worker_main(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(HERE))
    from _measures import MEASURES, measure_memory_one
    from _subjects import Env

    env = Env.from_environ()
    if args.worker == "memory-one":
        result = measure_memory_one(env, args.subject, args.invokes)
    else:
        result = MEASURES[args.worker](env, args.quick)
    print(json.dumps(result), flush=True)
    return 0


def profile_main(args: argparse.Namespace) -> int:
    """Run under an emulator: ``--profile call:KEY`` or ``stream:KEY`` or ``acall:KEY``, print cProfile tops."""
    sys.path.insert(0, str(HERE))
    import cProfile
    import pstats

    from _subjects import Env, build

    emu = EmulatorProcess()
    try:
        os.environ.update(emu.env())
        env = Env.from_environ()
        env.latency(0)
        what, key = args.profile.split(":", 1)
        subjects, errors = build(env, (key,))
        if errors:
            print(errors)
            return 1
        sub = subjects[key]
        if what == "acall":
            import asyncio

            async def many() -> None:
                for _ in range(args.invokes):
                    await sub.acall()  # type: ignore[misc]

            loop = asyncio.new_event_loop()  # one loop for warm-up and profile: sessions are bound to their loop

            def fn() -> None:
                loop.run_until_complete(many())
        elif what == "mixed":
            def fn() -> None:
                for _ in range(args.invokes):
                    env.control("script mixed 1")
                    sub.stream()  # type: ignore[misc]
        else:
            target = sub.call if what == "call" else sub.stream
            assert target is not None

            def fn() -> None:
                for _ in range(args.invokes):
                    target()
        fn()  # warm up
        profiler = cProfile.Profile()
        profiler.runcall(fn)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    finally:
        emu.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few rounds and small counts (smoke run)")
    parser.add_argument("--only", default="", help=f"comma-separated measures among: {', '.join(ORDER)}")
    parser.add_argument("--profile", default="", help="KIND:SUBJECT, e.g. call:ChatQwen-compat, stream:Qwen-native")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--subject", default="", help=argparse.SUPPRESS)
    parser.add_argument("--invokes", type=int, default=300, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    _pin(1)
    if args.profile:
        return profile_main(args)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(ORDER)
    unknown = set(names) - set(ORDER)
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(HERE))
    from _report import render

    started = time.perf_counter()
    emu = EmulatorProcess()
    results: dict[str, Any] = {}
    try:
        for name in [n for n in ORDER if n in names]:
            print(f"... {name}", flush=True)
            results[name] = run_worker(emu, name, args.quick)
    finally:
        emu.close()
    meta = {"quick": args.quick, "python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "total_wall_s": time.perf_counter() - started, "commit": _commit()}
    return render(results, meta, RESULTS, partial=bool(args.only))


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
        return out.stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
