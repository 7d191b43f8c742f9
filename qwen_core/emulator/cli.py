"""``qwen-emulator``: run the DashScope emulator from the command line until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from qwen_core.emulator.server import Emulator

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="qwen-emulator", description="Offline DashScope (Qwen) emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0 = any free port; default 8000)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--chunk-interval", type=float, default=0.0, help="seconds between stream events")
    parser.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                        help="accepted API key (repeatable; default: any non-empty key)")
    return parser


async def _serve(emu: Emulator) -> None:
    async with emu:
        print(emu.base_url, flush=True)
        print(f"  native:     {emu.native_base}", flush=True)
        print(f"  compatible: {emu.compatible_base}", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, print the base URL and serve until interrupted."""
    args = build_parser().parse_args(argv)
    emu = Emulator(host=args.host, port=args.port, api_keys=args.api_keys, latency=args.latency,
                   chunk_interval=args.chunk_interval)
    try:
        asyncio.run(_serve(emu))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
