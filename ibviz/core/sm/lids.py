"""LID assignment as OpenSM's LID manager (``osm_lid_mgr.c``) does it, sweep after sweep.

A :class:`LidManager` keeps OpenSM's ``guid2lid`` map (port GUID -> first and last LID)
across sweeps and can load and save it in OpenSM's file format. Each
:meth:`LidManager.assign` is one sweep of ``osm_lid_mgr_process_sm`` plus
``osm_lid_mgr_process_subnet``:

1. Validate the map for the current LMC (``lid_mgr_validate_db``): drop entries with an
   illegal range, a multi-LID range not aligned to ``2**lmc``, or LIDs another entry
   already holds. Entries of ports that are gone stay, and keep their LIDs reserved.
2. Drop entries of present ports that are unaligned or narrower than the port needs.
3. Work out the free LID ranges (``lid_mgr_init_sweep``): neither held by an entry nor by
   a present port without an entry whose current LIDs it may keep.
4. Give every present port, SM port first and then in ``port_guid_tbl`` order (port
   GUIDs compared as OpenSM's map compares them, see
   :func:`~ibviz.core.sm._graph.net_order`), its stored range; else its current LIDs if
   aligned and not reserved; else the first fitting free range (aligned for more than
   one LID). Switches are not numbered first: OpenSM mixes them with CA ports.

CA and router ports get ``2**lmc`` LIDs. Switch port 0 gets one LID and LMC 0 unless
``lmc_esp0`` is on and the switch has an enhanced port 0
(``osm_switch_sp0_is_lmc_capable``); then it gets an LMC range like a CA port.

A port is *present* when OpenSM could discover it: port 0 of a switch whose port 0 is
not DOWN, or a CA or router port with a cable whose ends are both not DOWN. LIDs are
unique across the whole fabric, also when routers join several subnets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ibviz.core.addressing import UNICAST_LID_MAX, check_lmc
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind, Port, PortRef, PortState
from ibviz.core.sm._graph import net_order, port_key
from ibviz.core.sm._guid2lid import Guid2LidError, read_guid2lid, write_guid2lid

__all__ = ["Guid2LidError", "LidError", "LidManager"]


class LidError(ValueError):
    """No free LID range is left (OpenSM: "OPENSM RAN OUT OF LIDS")."""


@dataclass
class _Port:
    ref: PortRef
    guid: int
    num_lids: int
    lmc: int
    base: int
    current: range
    is_switch: bool
    port: Port


class LidManager:
    """OpenSM-style LID assignment with a ``guid2lid`` map kept across sweeps.

    Attributes
    ----------
    warnings:
        What the last :meth:`assign` or :meth:`load_guid2lid` dropped or overrode, one
        sentence each (OpenSM logs these as errors and carries on).
    """

    def __init__(self) -> None:
        self._g2l: dict[int, tuple[int, int]] = {}
        self.warnings: list[str] = []

    @property
    def guid2lid(self) -> dict[int, tuple[int, int]]:
        """A copy of the map: port GUID -> (first LID, last LID), sorted by GUID."""
        return dict(sorted(self._g2l.items()))

    @property
    def guid2lid_in_order(self) -> list[tuple[int, tuple[int, int]]]:
        """The map's entries in the order they were first stored (OpenSM's ``st_insert``
        order, which decides the order of the guid2lid file)."""
        return list(self._g2l.items())

    def restore_guid2lid(self, entries: dict[int, tuple[int, int]]) -> None:
        """Replace the map with ``entries`` (a copy taken from :attr:`guid2lid_in_order`,
        whose order is kept; for undo)."""
        self._g2l = dict(entries)

    def load_guid2lid(self, path: str | os.PathLike[str]) -> None:
        """Replace the map with an OpenSM ``guid2lid`` file's.

        Raises
        ------
        Guid2LidError
            A malformed line (the message names file and line).
        """
        self._g2l, self.warnings = read_guid2lid(path)

    def save_guid2lid(self, path: str | os.PathLike[str]) -> None:
        """Write the map in OpenSM's format (``0x%016x 0x%04x 0x%04x`` + empty line)."""
        write_guid2lid(path, self._g2l)

    def assign(self, fabric: Fabric, lmc: int = 0, *, lmc_esp0: bool = False,
               reassign: bool = False, sm_port: PortRef | None = None
               ) -> dict[PortRef, range]:
        """Assign LIDs to every present port of ``fabric`` (one sweep).

        Parameters
        ----------
        fabric:
            LIDs are set with :meth:`Fabric.assign_lid`, which emits ``LidAssigned``
            for every port whose LID or LMC changes.
        lmc:
            LID Mask Control (0-7) of CA and router ports.
        lmc_esp0:
            OpenSM's ``lmc_esp0``: give enhanced switch port 0s an LMC range too.
        reassign:
            OpenSM's ``reassign_lids`` on a first sweep: forget the map and the ports'
            current LIDs and number everything afresh.
        sm_port:
            The SM's port, which is numbered first (default ``fabric.master_sm``).

        Returns
        -------
        dict
            Assigned port -> its LIDs, in assignment order.

        Raises
        ------
        LidError
            The unicast LID space is exhausted.
        """
        check_lmc(lmc)
        self.warnings = []
        ports = _present_ports(fabric, lmc, lmc_esp0)
        if reassign:
            self._g2l.clear()
        used = self._validate(lmc)
        self._drop_unfit(ports, lmc, used)
        free = [[1, UNICAST_LID_MAX]] if reassign else self._free_ranges(ports, used)
        sm = sm_port if sm_port is not None else fabric.master_sm
        order = sorted(ports, key=lambda p: p.ref != sm)  # stable: SM port first
        result: dict[PortRef, range] = {}
        quiet = not fabric.events.active
        for p in order:
            first = self._port_lid(p, used, free, lmc, reassign)
            last = first + p.num_lids - 1
            self._g2l[p.guid] = (first, last)
            used[first:last + 1] = True
            if quiet:  # Fabric.assign_lid without the LidAssigned nobody listens for
                p.port.lid, p.port.lmc = first, p.lmc
            else:
                fabric.assign_lid(p.ref, first, p.lmc)
            result[p.ref] = range(first, last + 1)
        return result

    # ------------------------------------------------------------ internals
    def _validate(self, lmc: int) -> np.ndarray:
        used = np.zeros(UNICAST_LID_MAX + 1, dtype=bool)
        mask = ~((1 << lmc) - 1)
        for guid in sorted(self._g2l):
            first, last = self._g2l[guid]
            if first > last or first == 0 or guid == 0 or last > UNICAST_LID_MAX:
                problem = "illegal LID range"
            elif first != last and first & mask != first:
                problem = f"not aligned for LMC {lmc}"
            elif used[first:last + 1].any():
                problem = "LIDs already held by another entry"
            else:
                used[first:last + 1] = True
                continue
            del self._g2l[guid]
            self.warnings.append(f"guid2lid entry 0x{guid:016x} [0x{first:04x}:0x{last:04x}] "
                                 f"dropped: {problem}")
        return used

    def _drop_unfit(self, ports: list[_Port], lmc: int, used: np.ndarray) -> None:
        mask = ~((1 << lmc) - 1)
        for p in ports:
            entry = self._g2l.get(p.guid)
            if entry is None or p.num_lids == 1:
                continue
            first, last = entry
            if first & mask != first or last - first + 1 < p.num_lids:
                del self._g2l[p.guid]
                used[first:last + 1] = False
                self.warnings.append(f"guid2lid entry 0x{p.guid:016x} [0x{first:04x}:"
                                     f"0x{last:04x}] dropped: too narrow or unaligned")

    def _free_ranges(self, ports: list[_Port], used: np.ndarray) -> list[list[int]]:
        blocked = used.copy()
        blocked[0] = True
        owner: dict[int, _Port] = {}
        for p in ports:
            for lid in p.current:
                owner[lid] = p
        skip_to = 0
        for lid in sorted(owner):
            p = owner[lid]
            if lid <= skip_to or used[lid] or p.guid in self._g2l:
                continue
            low = p.base
            high = low + p.num_lids - 1 if p.num_lids > 1 or not p.is_switch \
                else p.current[-1]
            if p.num_lids > 1 and low & (p.num_lids - 1):
                continue
            if high > UNICAST_LID_MAX or used[low + 1:high + 1].any():
                continue
            blocked[lid:high + 1] = True
            skip_to = high
        edges = np.diff(np.concatenate(([0], (~blocked).astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1) - 1
        return [[int(a), int(b)] for a, b in zip(starts, ends, strict=True)]

    def _port_lid(self, p: _Port, used: np.ndarray, free: list[list[int]], lmc: int,
                  reassign: bool) -> int:
        entry = self._g2l.get(p.guid)
        if entry is not None:
            return entry[0]
        low, n = p.base, p.num_lids
        if not reassign and low > 0 and low + n - 1 <= UNICAST_LID_MAX \
                and not low & (n - 1) and not used[low:low + n].any():
            return low
        return _take(free, n, lmc)


def _take(free: list[list[int]], num_lids: int, lmc: int) -> int:
    """First fit in the free ranges (``lid_mgr_find_free_lid_range``), aligned if > 1 LID."""
    block = 1 << lmc
    mask = ~(block - 1)
    for i, span in enumerate(free):
        lid = span[0]
        if num_lids > 1 and lid & mask != lid:
            lid = (lid + block) & mask
        if lid + num_lids - 1 <= span[1]:
            if lid + num_lids - 1 == span[1]:
                del free[i]
            else:
                span[0] = lid + num_lids
            return lid
    raise LidError(f"no free range of {num_lids} unicast LID(s) left (OpenSM ran out of LIDs)")


def _present_ports(fabric: Fabric, lmc: int, lmc_esp0: bool) -> list[_Port]:
    """Ports OpenSM would discover, in ``port_guid_tbl`` order."""
    out: list[_Port] = []
    nodes = fabric.nodes
    for node in nodes.values():
        if node.kind is NodeKind.SWITCH:
            p0 = node.ports.get(0)
            if p0 is None or p0.state is PortState.DOWN:
                continue
            esp0 = lmc_esp0 and node.enhanced_port0 is True
            refs = [(PortRef(node.guid, 0), p0, 1 << lmc if esp0 else 1, lmc if esp0 else 0)]
        else:
            refs = []
            for num, port in node.ports.items():
                ref = PortRef(node.guid, num)
                peer = fabric.peer(ref)
                if num == 0 or peer is None or port.state is PortState.DOWN or \
                        nodes[peer.node].ports[peer.port].state is PortState.DOWN:
                    continue
                refs.append((ref, port, 1 << lmc, lmc))
        for ref, port, num_lids, port_lmc in refs:
            base = port.lid if 0 < port.lid <= UNICAST_LID_MAX else 0
            top = min(base + (1 << port.lmc) - 1, UNICAST_LID_MAX)
            out.append(_Port(ref, port_key(fabric, ref), num_lids, port_lmc, base,
                             range(base, top + 1) if base else range(0),
                             node.kind is NodeKind.SWITCH, port))
    out.sort(key=lambda p: (net_order(p.guid), p.ref))
    return out
