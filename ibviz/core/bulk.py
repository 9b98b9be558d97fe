"""Helpers for building large models quickly, and the progress callback type."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int, int], None]
"""``progress(done, total)`` of long work (``total`` 0: unknown); defined here once."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large model is built.

    Building a 10,000-node fabric allocates hundreds of thousands of long-lived
    objects; each generation-0 overflow makes the collector rescan them, which cost
    about 30% of load time here. Reference counting still frees garbage at once; the
    collector is re-enabled (if it was on) when the block ends, even on errors.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
