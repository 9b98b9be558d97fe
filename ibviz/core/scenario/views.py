"""What the views read of a session, shared by the simulated :class:`Session` and the
GUI's session over a live backend: both keep ``net`` (the packet simulator),
``controller`` (groups, serving nodes, outcomes), ``sm`` and ``mft_changes``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ibviz.core import actions as act


class SessionViews:
    net: Any
    controller: Any
    sm: Any
    mft_changes: Iterable[tuple[float, int, int, frozenset[int], frozenset[int]]]
    busy: bool = False
    """A slow action is under way (only live sessions have those)."""

    def begin(self, action: act.Action) -> Callable[[], object]:
        """Start a slow action: only sessions on a backend whose actions are slow (its
        capabilities say so) take them; the built-in simulation applies at once."""
        raise NotImplementedError("this session applies actions at once")

    def finish(self, result: object) -> None:
        """A slow action's work is done: nothing to record here."""

    @property
    def hops(self):
        return self.net.hops

    @property
    def drops(self):
        return self.net.drops

    @property
    def flow_names(self) -> list[str]:
        return self.net.hops.flow_names if self.net.hops is not None else []

    def roles(self, group: str) -> dict[int, str]:
        """Node GUID -> ``primary`` / ``takeover`` / ``sender`` for a protected group
        (see :func:`ibviz.core.failover.roles.group_roles` for what each is doing)."""
        from ibviz.core.failover.roles import group_roles

        return {g: r.role for g, r in group_roles(self, group).items()}

    def packet(self, pid: int):
        """The wire form of packet ``pid`` (every LRH/GRH/BTH/DETH/AETH field)."""
        from ibviz.core.scenario.wire import inspect_packet

        return inspect_packet(self.net.packets[pid])

    def failover_times(self) -> list[float]:
        """Failure, detection and restore instants of every failover and failback."""
        times: set[float] = set()
        for o in self.controller.outcomes:
            times.update(t for t in (o.started_us, o.detected_us, o.restored_us)
                         if t is not None)
        return sorted(times)

    def mft_diff(self, switch: int) -> dict[int, tuple[frozenset[int], frozenset[int]]]:
        """MLID -> (ports before the last failover or failback, ports now), for the MLIDs
        of ``switch`` that it changed."""
        outcomes = self.controller.outcomes
        if not outcomes:
            return {}
        since = outcomes[-1].started_us
        now = self.sm.mfts.get(switch, {})
        out: dict[int, tuple[frozenset[int], frozenset[int]]] = {}
        for t, sw, mlid, old, _new in self.mft_changes:
            if sw == switch and t >= since and mlid not in out:
                out[mlid] = (old, now.get(mlid, frozenset()))
        return out
