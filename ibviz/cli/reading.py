"""Starting a read-only backend for a command (``check``, ``diff``, ``whatif``,
``attach``): behind a progress bar, with one way of saying why the input cannot be read."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ibviz.app.connect import open_read_only
from ibviz.backends.attach import RealFabric
from ibviz.backends.base import BackendError
from ibviz.cli.progress import ProgressBar
from ibviz.topology.errors import TopologyError

READ_ERRORS = (BackendError, TopologyError, OSError)
"""What unreadable input raises (the command exits 2 on it)."""


def read_fabric(sources: str | Path | Sequence[str | Path] | None,
                label: str = "reading the fabric", **options: Any) -> RealFabric:
    """A started read-only backend on ``sources`` (its progress on stderr; ``options``:
    see :class:`RealFabric`); the caller closes it. Raises one of :data:`READ_ERRORS`."""
    bar = ProgressBar(label)
    try:
        return open_read_only(sources, bar, **options)
    finally:
        bar.close()


def error_text(exc: BaseException) -> str:
    """One line naming what is wrong (a file error names its file and line)."""
    return exc.one_line() if isinstance(exc, TopologyError) else str(exc)


def fail(exc: BaseException, prog: str = "ibviz", code: int = 2) -> int:
    """Print ``exc`` as an error line on stderr; returns the exit status ``code``."""
    print(f"{prog}: error: {error_text(exc)}", file=sys.stderr)
    return code

