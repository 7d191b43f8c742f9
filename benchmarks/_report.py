"""Turns the measures' results into the table with targets (stdout), a markdown table, JSON and a PNG plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CALL_TARGET = 1.6
STREAM_TARGET_US = 25.0
CONCURRENCY_TARGET = 1.5
MEMORY_TARGET_MIB = 10.0
EMBED_TARGET = 1.3
EMULATOR_BUSY_LIMIT = 0.85  # above this share of its core, the emulator could be what is measured

#: Column order of the README table (as in the issue): floor, ours, then the other integrations.
RAW = ("raw-compat", "raw-native")
COLUMNS = ("raw-compat", "raw-native", "LC-floor", "LI-floor", "core-compat", "core-native", "ChatQwen-compat",
           "ChatQwen-native", "Qwen-compat", "Qwen-native", "ChatOpenAI", "qwq", "ChatTongyi", "LI-DashScope",
           "LI-OpenAILike")


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def _spread(row: dict[str, Any], fmt: str) -> str:
    s = row.get("spread") or []
    return f"[{format(s[0], fmt)}..{format(s[1], fmt)}]" if s else ""


def build_lines(results: dict[str, Any]) -> tuple[list[tuple[str, str, str, str, str, str]], list[str]]:
    """Rows (measure, subject, value, spread, target, verdict) and notes (errors, emulator checks)."""
    lines: list[tuple[str, str, str, str, str, str]] = []
    notes: list[str] = []
    for name, res in results.items():
        if "error" in res and "rows" not in res:
            notes.append(f"{name}: {res['error']}")
            continue
        for key, err in (res.get("errors") or {}).items():
            notes.append(f"{name}: {key} not measured: {err}")
        busy = res.get("emulator_busy_max")
        if busy:
            verdict = "ok" if busy < EMULATOR_BUSY_LIMIT else "EMULATOR MAY BE THE BOTTLENECK"
            if name == "stream" and busy >= EMULATOR_BUSY_LIMIT:
                verdict = "a client-CPU measure: the emulator's pace changes only how events are batched per read"
            notes.append(f"{name}: emulator busiest subject/batch used {busy:.0%} of its core, "
                         f"{res.get('emulator_busy_avg', 0):.0%} on average ({verdict})")
        if name == "call":
            per_call = [r["emulator_cpu_ms"] for r in res.get("rows", []) if "emulator_cpu_ms" in r]
            if per_call:
                notes.append(f"call: the emulator spends {min(per_call):.2f}..{max(per_call):.2f} ms CPU per request "
                             "(mean over all batches; the same work for every subject, so it adds to the floor "
                             "and to each subject alike)")
        lines.extend(_ROWS[name](res))
    return lines, notes


def _call_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for r in res["rows"]:
        ours = r["kind"] == "ours"
        cpu = f"; CPU {r['cpu_ratio']:.2f}x, {r['cpu_ms']:.3f} ms" if "cpu_ratio" in r else ""
        out.append(("1 one call x raw httpx", r["subject"], f"{r['ratio']:.2f}x ({r['ms']:.3f} ms{cpu})",
                    _spread(r, ".2f"), f"<= {CALL_TARGET}x" if ours else "",
                    _verdict(r["ratio"] <= CALL_TARGET if ours else None)))
    return out


def _framework_floor(key: str) -> str | None:
    if key.startswith("ChatQwen"):
        return "LC-floor"
    if key.startswith("Qwen-"):
        return "LI-floor"
    return None


def _stream_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    text_added = {r["key"]: r["added_us"] for r in res["rows"] if r["scenario"] == "text" and "added_us" in r}
    for r in res["rows"]:
        ours = r["kind"] == "ours"
        label = f"2 stream CPU/chunk ({r['scenario']})"
        if r["key"] in RAW:
            out.append((label, r["subject"], f"0 us ({r['cpu_ms']:.2f} ms / {r['chunks']} chunks)", "", "", "-"))
            continue
        base = _framework_floor(r["key"])
        over = f" (+{r['added_us'] - text_added[base]:.1f} over {base})" if base in text_added else ""
        out.append((label, r["subject"], f"+{r['added_us']:.1f} us{over}", _spread(r, ".1f"),
                    f"<= {STREAM_TARGET_US:g} us" if ours else "",
                    _verdict(r["added_us"] <= STREAM_TARGET_US if ours else None)))
    return out


def _concurrency_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for r in res["rows"]:
        ours = r["kind"] == "ours"
        failed = f", {r['failures']} failed" if r["failures"] else ""
        ok = r["ratio"] <= CONCURRENCY_TARGET and not r["failures"]
        out.append((f"3 {res['n']} async calls @50ms x raw aiohttp", r["subject"],
                    f"{r['ratio']:.2f}x ({r['wall_s']:.3f} s{failed})", _spread(r, ".2f"),
                    f"<= {CONCURRENCY_TARGET}x" if ours else "", _verdict(ok if ours else None)))
    for r in res.get("big", []):
        out.append(("3 1000 async calls @50ms", r["subject"],
                    f"{r['failures']} errors, {r['connections']} conns, {r['wall_s']:.2f} s", "",
                    f"0 errors, <= {r['bound']} conns", _verdict(r["ok"])))
    return out


def _reuse_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for r in res["rows"]:
        ours = r["kind"] == "ours"
        out.append((f"4 {r['calls']} sequential {r['mode']} calls", r["subject"],
                    f"{r['connections']} new conn(s)", "", "<= 1" if ours else "", _verdict(r["ok"] if ours else None)))
    return out


def _import_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    return [("5 import time", f"{r['subject']} vs {r['baseline']}",
             f"{r['ratio']:.2f}x ({r['ms']:.0f} vs {r['baseline_ms']:.0f} ms)", _spread(r, ".2f"),
             f"<= {r['target']}x", _verdict(r["ratio"] <= r["target"])) for r in res["rows"]]


def _memory_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for r in res["rows"]:
        if "error" in r:
            out.append(("6 RSS growth", r["key"], f"error: {r['error'][-120:]}", "", "", "FAIL"))
            continue
        out.append((f"6 RSS growth, {r['invokes']} invokes", r["subject"],
                    f"{r['growth_mib']:+.1f} MiB ({r['rss_end_mib']:.0f} MiB)", "", f"<= {MEMORY_TARGET_MIB:g} MiB",
                    _verdict(r["growth_mib"] <= MEMORY_TARGET_MIB)))
    return out


def _embed_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for r in res["rows"]:
        ours = r.get("kind", "ours") == "ours"
        out.append((f"7 embed {r['texts']} texts @50ms x ideal", r["subject"],
                    f"{r['ratio']:.2f}x ({r['wall_s']:.2f} s vs {r['ideal_s']:.2f} s; batch {r['batch']}, "
                    f"concurrency {r['concurrency']})", _spread(r, ".2f"), f"<= {EMBED_TARGET}x" if ours else "",
                    _verdict(r["ratio"] <= EMBED_TARGET if ours else None)))
    return out


_ROWS = {"call": _call_rows, "stream": _stream_rows, "concurrency": _concurrency_rows, "reuse": _reuse_rows,
         "import": _import_rows, "memory": _memory_rows, "embeddings": _embed_rows}


def _format_table(lines: list[tuple[str, str, str, str, str, str]]) -> str:
    header = ("measure", "subject", "value", "spread", "target", "result")
    widths = [max(len(h), *(len(row[i]) for row in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    prev = ""
    for row in lines:
        if prev and row[0] != prev:
            out.append("")
        prev = row[0]
        out.append(fmt.format(*row))
    return "\n".join(out)


def markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    """The README table: measures 1-3 by subject, as in the issue, then the other targets."""
    names: dict[str, str] = {}
    cells: dict[str, dict[str, str]] = {"call": {}, "stream": {}, "mixed": {}, "concurrency": {}}
    for r in results.get("call", {}).get("rows", []):
        names[r["key"]] = r["subject"]
        cells["call"][r["key"]] = f"{r['ratio']:.2f}" + (f" (~{r['ms']:.2f} ms)" if r["key"] in RAW else "")
    for r in results.get("stream", {}).get("rows", []):
        names[r["key"]] = r["subject"]
        value = "0" if r["key"] in RAW else f"{r['added_us']:.0f} us"
        cells["stream" if r["scenario"] == "text" else "mixed"][r["key"]] = value
    for r in results.get("concurrency", {}).get("rows", []):
        names[r["key"]] = r["subject"]
        cells["concurrency"][r["key"]] = f"{r['ratio']:.2f}" + (
            f" (~{r['wall_s']:.2f} s)" if r["key"] in RAW else "")
    cols = [c for c in COLUMNS if c in names]
    out = [f"Run of {meta['time']} ({'quick' if meta['quick'] else 'full'}), commit {meta.get('commit') or '?'}, "
           f"Python {meta['python']}, {meta['cpus']} cores, emulator on loopback (medians of interleaved batches)."]
    if cols:
        out += ["", "| measure | " + " | ".join(names[c] for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    labels = {"call": "one call, 0 ms latency, x raw httpx POST",
              "stream": "200-chunk stream, added CPU per chunk over raw line parsing",
              "mixed": "same, reasoning + text + tool-call chunks",
              "concurrency": "200 concurrent async calls, 50 ms latency, wall x raw aiohttp"}
    for key, label in labels.items():
        if cells[key]:
            out.append(f"| {label} | " + " | ".join(cells[key].get(c, "") for c in cols) + " |")
    lines, _ = build_lines({k: v for k, v in results.items() if k in ("concurrency", "reuse", "import", "memory",
                                                                      "embeddings")})
    rest = [row for row in lines if row[5] in ("PASS", "FAIL") and not row[0].startswith("3 200")]
    if rest:
        out += ["", "| target | subject | result | |", "|---|---|---|---|"]
        out += [f"| {m} ({t}) | {s} | {v} | {r} |" for m, s, v, _, t, r in rest]
    return "\n".join(out)


def _bar_label(value: float, micros: bool) -> str:
    """A bar's value: microseconds to 0.1 below 10 and whole above; ratios to 0.01 below 10 and whole above."""
    if abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}" if micros else f"{value:.2f}"


def plot(results: dict[str, Any], path: Path) -> str:
    """Bar charts of the main ratios with the target lines; returns a note when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no plot"
    colours = {"floor": "#999999", "ours": "#2a7ab9", "baseline": "#e08a3c"}
    # (title, bars, target, whether the values are microseconds rather than ratios)
    panels: list[tuple[str, list[tuple[str, float, str]], float | None, bool]] = []
    if "rows" in results.get("call", {}):
        panels.append(("one call, x raw httpx POST (0 ms latency)",
                       [(r["subject"], r["ratio"], r["kind"]) for r in results["call"]["rows"]], CALL_TARGET, False))
    if "rows" in results.get("stream", {}):
        panels.append(("stream: added CPU per chunk (us), text chunks",
                       [(r["subject"], r["added_us"], r["kind"]) for r in results["stream"]["rows"]
                        if r["scenario"] == "text"], STREAM_TARGET_US, True))
    if "rows" in results.get("concurrency", {}):
        panels.append(("200 async calls @50 ms: wall x raw aiohttp",
                       [(r["subject"], r["ratio"], r["kind"]) for r in results["concurrency"]["rows"]],
                       CONCURRENCY_TARGET, False))
    extra: list[tuple[str, float, str]] = []
    for r in results.get("import", {}).get("rows", []):
        extra.append((f"import {r['subject'].split()[-1]} / framework base", r["ratio"], "ours"))
    for r in results.get("embeddings", {}).get("rows", []):
        extra.append((f"{r['subject']} / ideal", r["ratio"], r.get("kind", "ours")))
    if extra:
        panels.append(("imports (target 1.15/1.1) and embeddings (target 1.3): ratios", extra, None, False))
    if not panels:
        return "nothing to plot"
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.2 * len(panels)), squeeze=False)
    for ax, (title, bars, target, micros) in zip(axes[:, 0], panels, strict=True):
        labels = [b[0] for b in bars]
        ax.barh(labels, [b[1] for b in bars], color=[colours[b[2]] for b in bars])
        if target is not None:
            ax.axvline(target, color="#c0392b", linestyle="--", linewidth=1)
            title += f" (dashed: target {target:g})"
        for y, b in enumerate(bars):
            # right of the bar's end, or of zero for a negative bar (so the label never covers its bar)
            ax.text(max(b[1], 0.0), y, f" {_bar_label(b[1], micros)}", va="center", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
    fig.suptitle("qwen-integrations benchmarks (blue: ours, orange: other integrations, grey: floors)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot: {path}"


def render(results: dict[str, Any], meta: dict[str, Any], out_dir: Path, partial: bool) -> int:
    """Print everything, write JSON and PNG; exit status 1 when a target is missed."""
    lines, notes = build_lines(results)
    print()
    print(_format_table(lines))
    print()
    for note in notes:
        print("note:", note)
    failed = [row for row in lines if row[5] == "FAIL"]
    passed = [row for row in lines if row[5] == "PASS"]
    print(f"\n{len(passed)} targets met, {len(failed)} missed"
          + (" (partial run)" if partial else "") + f"; total {meta['total_wall_s']:.0f} s")
    md = markdown(results, meta)
    print("\nMarkdown for the README:\n")
    print(md)
    out_dir.mkdir(exist_ok=True)
    name = "latest.json" if not partial else "partial.json"
    (out_dir / name).write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    (out_dir / ("table.md" if not partial else "table-partial.md")).write_text(md + "\n")
    if not partial:
        print("\n" + plot(results, out_dir / "benchmark.png"))
    return 1 if failed else 0
