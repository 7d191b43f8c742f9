"""``python -m qwen_core.emulator``."""

import sys

from qwen_core.emulator.cli import main

sys.exit(main())
