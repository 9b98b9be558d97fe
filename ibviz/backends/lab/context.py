"""What the lab's parts share: the fabric, the mirror, the programs, the lock, the wait.

:class:`~ibviz.backends.lab.OpenSmLab` builds one :class:`LabContext` and gives it to each
part (:class:`~ibviz.backends.lab.actions.LabActions`,
:class:`~ibviz.backends.lab.failover.LabFailover`); no part knows the lab itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Protocol

from ibviz.backends.lab.mirror import Mirror
from ibviz.backends.lab.processes import LabProcesses
from ibviz.backends.lab.state import LabReader
from ibviz.core.fabric import Fabric
from ibviz.core.sm.manager import SubnetManager

__all__ = ["LINK_FILES", "LabContext", "MFT_FILES", "WaitUntil"]

MFT_FILES = ("opensm.mcfdbs",)
"""What a wait for a multicast change reads (the big LFT dump is left for the next poll)."""
LINK_FILES = ("guid2lid", "opensm-subnet.lst")


class WaitUntil(Protocol):
    """Poll OpenSM's files (``files`` only) until ``predicate()`` holds; the seconds it
    took, or :class:`~ibviz.backends.base.BackendError` after ``timeout`` or when OpenSM
    or ibsim dies meanwhile."""

    def __call__(self, predicate: Callable[[], bool], timeout: float, what: str,
                 files: Collection[str] | None = None) -> float: ...


@dataclass
class LabContext:
    fabric: Fabric
    sm: SubnetManager
    node_ids: dict[int, str]
    """Node GUID -> ibsim node id."""
    sm_node: int
    """The node OpenSM (and the SMP client) is attached at."""
    mirror: Mirror
    procs: LabProcesses
    wait_until: WaitUntil
    lock: threading.RLock = field(default_factory=threading.RLock)
    reader: LabReader | None = None
    """The reader of the running OpenSM's files (replaced when OpenSM restarts)."""

    def label(self, guid: int) -> str:
        return self.fabric.nodes[guid].label
