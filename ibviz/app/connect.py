"""Connecting to a backend (File > Connect..., no Qt): what the user chose, the backend
it names, and starting it (in the caller's worker thread) with the lab's demo group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibviz.app.live_bus import GuiThreadBus, install_gui_bus, set_up_demo_group
from ibviz.backends.base import Backend
from ibviz.core import actions as act
from ibviz.core.bulk import Progress

LAB_POLL_MS = 200
"""The lab's idle poll costs ~20 microseconds: OpenSM's changes show within 0.2 s."""
BUILTIN, LAB, REAL = "builtin", "lab", "real"
ROUTINGS = ("minhop", "updn", "ftree", "dnup", "lash", "dor")
LAB_FABRICS = ("fig8", "fig10", "demo", "leaf-spine:hcas=100", "fat-tree:k=4,n=2")


@dataclass(frozen=True)
class ConnectChoice:
    """What File > Connect... asked for."""

    kind: str = BUILTIN
    """``builtin``, ``lab`` or ``real``."""
    fabric: str = "fig8"
    """Lab: a built-in fabric name, a generator spec or a fabric file."""
    lmc: int = 0
    routing: str = "minhop"
    directory: str = ""
    """Real fabric: a directory of state files (unless ``live``)."""
    live: bool = False
    interval: float = 10.0

    @property
    def poll_ms(self) -> int:
        """How often the window polls the backend (the lab's idle poll is cheap)."""
        return LAB_POLL_MS if self.kind == LAB else int(self.interval * 1000)

    def describe(self) -> str:
        if self.kind == LAB:
            return f"OpenSM lab on {self.fabric}"
        if self.kind == REAL:
            return "the live fabric" if self.live else f"state files in {self.directory}"
        return "the built-in simulation"


def make_backend(choice: ConnectChoice) -> Backend:
    """A backend for ``choice``, not started (may read a fabric file: call it in the
    worker). The built-in simulation has none: use the window's open_spec."""
    if choice.kind == LAB:
        from ibviz.backends.lab import OpenSmLab
        from ibviz.topology import open_fabric

        return OpenSmLab(open_fabric(choice.fabric), lmc=choice.lmc, routing=choice.routing)
    if choice.kind == REAL:
        from ibviz.backends.attach import RealFabric

        if choice.live:
            return RealFabric(live=True, interval=choice.interval)
        return RealFabric(choice.directory, interval=choice.interval)
    raise ValueError("the built-in simulation is opened, not connected to")


def open_read_only(sources: Any, progress: Progress | None = None, **options: Any) -> Any:
    """A started :class:`~ibviz.backends.attach.RealFabric` on a directory or state files
    (``ibviz check``/``diff``/``whatif``/``attach``, File > Compare snapshots...), closed
    again when it cannot start; ``options`` go to RealFabric (``live``, ``tools``...). Raises what a bad input raises: :class:`BackendError`,
    :class:`~ibviz.topology.errors.TopologyError` (naming the file and line), ``OSError``."""
    from ibviz.backends.attach import RealFabric

    backend = RealFabric(sources, **options)
    try:
        backend.start(progress)
    except BaseException:
        backend.close()
        raise
    return backend


def mode2_note() -> str:
    """Why the lab cannot run mode 2 (shown in the connect dialog)."""
    from ibviz.backends.lab import MODE2_NOTE

    return MODE2_NOTE


def start_backend(choice: ConnectChoice, bus: GuiThreadBus, starting: list[Backend],
                  progress: Progress) -> Backend:
    """Make, start and (on a lab with known roles) protect the demo group of the
    backend ``choice`` names; ``starting`` gets it at once (to close it on a cancel)."""
    backend = make_backend(choice)
    starting.append(backend)
    install_gui_bus(backend, bus)
    backend.start(progress)
    if backend.capabilities.can(act.Protect):
        from ibviz.topology.builtin import FAILOVER_ROLES

        roles: dict[str, Any] | None = FAILOVER_ROLES.get(choice.fabric)
        if roles is not None:
            progress(len(starting), 0)
            demo = set_up_demo_group(backend, roles)
            backend.apply(act.Protect(demo.name, demo.mgid, demo.primary, demo.takeover,
                                      tuple(demo.senders), demo.mode.value))
    return backend
