"""Starting a read-only backend for a command (``check``, ``diff``, ``whatif``,
``attach``): behind a progress bar, with one way of saying why the input cannot be read."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a command's big work: reading a
    12,100-node fabric and analysing it makes millions of objects that live until the
    command ends, and the collector's passes over them took ~10% of ``ibviz whatif``'s
    time there (freeing nothing: the peak RSS is the same)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def error_text(exc: BaseException) -> str:
    """One line naming what is wrong (a file error names its file and line)."""
    return exc.one_line() if isinstance(exc, TopologyError) else str(exc)


def fail(exc: BaseException, prog: str = "ibviz", code: int = 2) -> int:
    """Print ``exc`` as an error line on stderr; returns the exit status ``code``."""
    print(f"{prog}: error: {error_text(exc)}", file=sys.stderr)
    return code

