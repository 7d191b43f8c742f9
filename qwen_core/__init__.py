"""Framework-free core of qwen-integrations: settings, model catalogue, both DashScope wire protocols,
transport, stream accumulation, typed errors and an offline emulator of the service.

Importing this package is cheap: HTTP clients and SDKs are imported on first use.
"""

from qwen_core._version import __version__

__all__ = ["__version__"]
