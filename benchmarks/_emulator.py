"""The project's emulator in its own process, pinned to one core, with a small control port for the benchmarks.

``python benchmarks/_emulator.py --cpu 0`` starts ``qwen_core.emulator.Emulator`` (the same server as
``qwen-emulator``) and prints one JSON line: ``{"base_url": ..., "control": PORT, "pid": ...}``. The control port
(loopback, one text line per command) lets the benchmark processes change the server latency between measures,
read the server's count of accepted TCP connections, and queue scripted stream replies. The console command has
no such channel, and a count kept at the server is the only honest count of new connections.

Commands: ``latency SECONDS``, ``conns``, ``script mixed N`` (queue N mixed reasoning/text/tool-call replies),
``clear`` (forget logged requests), ``ping``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socketserver
import sys
import threading

from qwen_core.emulator import Emulator, ScriptedReply, ScriptedToolCall

#: A ~200-event stream with every kind of chunk: 80 reasoning pieces, 100 text pieces, 6 tool calls x 3 fragments.
MIXED_REPLY = ScriptedReply(
    reasoning="".join(f"think{i:03d} " for i in range(80)),
    chunks=[f"word{i:03d} " for i in range(100)],
    tool_calls=[
        ScriptedToolCall(name=f"tool_{k}", arguments={"city": f"City number {k}", "unit": "celsius", "days": k + 1})
        for k in range(6)
    ],
    chunk_size=9,
)


def _handler(emu: Emulator) -> type[socketserver.StreamRequestHandler]:
    class Control(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for raw in self.rfile:
                words = raw.decode().split()
                if not words:
                    continue
                reply = _command(emu, words)
                self.wfile.write((reply + "\n").encode())
                self.wfile.flush()

    return Control


def _command(emu: Emulator, words: list[str]) -> str:
    cmd = words[0]
    if cmd == "latency":
        emu.latency = float(words[1])
        return "ok"
    if cmd == "conns":
        return str(emu.connections_opened)
    if cmd == "script" and words[1] == "mixed":
        emu.enqueue(*([MIXED_REPLY] * int(words[2])))
        return "ok"
    if cmd == "clear":
        emu.requests.clear()
        emu.script.clear()
        return "ok"
    if cmd == "ping":
        return "pong"
    return "error unknown command"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this core")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    emu = Emulator(port=0, latency=args.latency).start()
    control = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(emu))
    control.daemon_threads = True
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print(json.dumps({"base_url": emu.base_url, "control": control.server_address[1], "pid": os.getpid()}),
          flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()  # serve until the parent closes our stdin (or dies)
    control.shutdown()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
