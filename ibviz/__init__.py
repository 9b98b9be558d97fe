"""ibviz: see and teach how an InfiniBand subnet keeps multicast traffic flowing."""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("ibviz")
except _metadata.PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.1.0"

__all__ = ["__version__"]
