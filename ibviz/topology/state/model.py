"""What a subnet's state files say: LIDs, forwarding tables, multicast groups, the SM.

A :class:`FabricState` is plain data read from files or tool output; it does not need a
topology. :func:`ibviz.topology.state.apply_state` puts it on a fabric and a subnet manager
used as a mirror.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.model import NO_PATH
from ibviz.core.sm.switchinfo import SwitchInfo
from ibviz.topology.errors import TopologyWarning

NO_PORT = NO_PATH
"""LFT entry of a LID the switch does not route (OpenSM's OSM_NO_PATH)."""

GUID_MASK = (1 << 64) - 1


@dataclass
class GroupState:
    """One multicast group as the SA reports it.

    ``members`` maps a member's port GID (128 bits; a bare port GUID when the source gives
    only that) to its JoinState bits. ``fields`` holds the other MCMemberRecord fields the
    source printed (``qkey``, ``pkey``, ``mtu``, ``rate``, ``sl``, ``tclass``, ``flow_label``,
    ``hop_limit``, ``scope``, ``pkt_life``), as numbers.
    """

    mlid: int
    members: dict[int, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)
    proxies: set[int] = field(default_factory=set)
    """Member GIDs whose membership a proxy created (ProxyJoin)."""
    members_known: bool = True
    """False when the source lists the group but not (or not all of) its members."""
    well_known: bool = False

    def member_guids(self) -> dict[int, int]:
        """Members keyed by port GUID (the low 64 bits of the GID)."""
        return {gid & GUID_MASK: state for gid, state in self.members.items()}


@dataclass(frozen=True)
class SmState:
    """The master SM as ``sminfo`` reports it."""

    lid: int
    guid: int
    priority: int
    state: str
    """``MASTER``, ``STANDBY``, ``DISCOVERING`` or ``NOTACTIVE``."""
    activity: int = 0


@dataclass
class SmLog:
    """What OpenSM's own log (``opensm.log``) says of the subnet manager."""

    state: str | None = None
    """The last state it entered (``MASTER``, ``STANDBY``, ``DISCOVERING``...)."""
    since: float | None = None
    """When it entered that state or exited (epoch seconds)."""
    exited: bool = False
    """The log ends with ``Exiting SM``."""
    port_guid: int | None = None
    """The port it binds to (``Setting IS_SM on port``)."""
    priority: int | None = None
    sweeps: int = 0
    """Completed sweeps (``SUBNET UP`` lines)."""
    last_sweep: float | None = None
    """When the last sweep completed (epoch seconds)."""
    version: str | None = None


@dataclass
class FabricState:
    """Subnet state read from one or more files (later files override earlier ones)."""

    lids: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Port GUID (a switch's node GUID for its port 0) -> (base LID, LMC)."""
    lfts: dict[int, np.ndarray] = field(default_factory=dict)
    """Switch GUID -> uint8 out port per LID (index = LID; 255: not routed)."""
    mfts: dict[int, dict[int, frozenset[int]]] = field(default_factory=dict)
    """Switch GUID -> {MLID: out ports}; a switch present with {} has an empty MFT."""
    groups: dict[int, GroupState] = field(default_factory=dict)
    """MGID -> group."""
    switch_info: dict[int, SwitchInfo] = field(default_factory=dict)
    """What the files tell of SwitchInfo (LinearFDBTop, MulticastFDBCap), per switch GUID."""
    sm: SmState | None = None
    sm_log: SmLog | None = None
    """What ``opensm.log`` says of the SM (None without a log)."""
    lfts_complete: bool = False
    """The LFTs come from a whole-subnet dump: a switch not listed has no LFT."""
    mfts_complete: bool = False
    """The MFTs come from a whole-subnet dump: a switch not listed has an empty MFT."""
    groups_complete: bool = False
    """The groups come from an SA listing: a group not listed does not exist."""
    descriptions: dict[int, str] = field(default_factory=dict)
    """Port GUID -> node description, where a table printed one."""
    sources: list[tuple[str, str]] = field(default_factory=list)
    """(file, format) of every file read, in order."""
    topology_files: list[tuple[str, str]] = field(default_factory=list)
    """(file, format) of the files that also describe the topology."""
    topology: Fabric | None = None
    """The fabric read from the most complete of :attr:`topology_files` (None without)."""
    warnings: list[TopologyWarning] = field(default_factory=list)

    # ------------------------------------------------------------------ filling
    def set_lft(self, switch: int, table: dict[int, int], file: str) -> None:
        """Store one switch's LFT from {LID: port}; warn when another file disagreed."""
        self.set_lft_rows(switch, np.fromiter(table, np.int64, len(table)),
                          np.fromiter(table.values(), np.int64, len(table)), file)

    def set_lft_rows(self, switch: int, lids: np.ndarray, ports: np.ndarray,
                     file: str) -> None:
        """Store one switch's LFT from its rows (``lids`` without repeats, and their
        ports); warn when another file disagreed."""
        top = int(lids.max()) if len(lids) else 0
        array = np.full(top + 1, NO_PORT, np.uint8)
        if len(lids):
            array[lids] = ports
        old = self.lfts.get(switch)
        if old is not None and not _same_table(old, array):
            self.warnings.append(TopologyWarning(
                f"LFT of switch {switch:#018x} differs from the one read before; "
                "the later file wins", file, None, "conflict"))
        self.lfts[switch] = array
        self.info(switch).linear_fdb_top = top

    def set_mft(self, switch: int, entries: dict[int, frozenset[int]], file: str) -> None:
        old = self.mfts.get(switch)
        if old is not None and old != entries:
            self.warnings.append(TopologyWarning(
                f"MFT of switch {switch:#018x} differs from the one read before; "
                "the later file wins", file, None, "conflict"))
        self.mfts[switch] = dict(entries)

    def set_lid(self, guid: int, lid: int, lmc: int = 0) -> None:
        self.lids[guid] = (lid, lmc)

    def info(self, switch: int) -> SwitchInfo:
        found = self.switch_info.get(switch)
        if found is None:
            found = self.switch_info[switch] = SwitchInfo()
        return found

    def merge(self, other: FabricState) -> None:
        """Add what ``other`` holds (its values win)."""
        for sw, table in other.lfts.items():
            old = self.lfts.get(sw)
            if old is not None and not _same_table(old, table):
                self.warnings.append(TopologyWarning(
                    f"LFT of switch {sw:#018x} differs between files; the later file wins",
                    other.sources[-1][0] if other.sources else None, None, "conflict"))
            self.lfts[sw] = table
        for sw, entries in other.mfts.items():
            if sw in self.mfts and self.mfts[sw] != entries:
                self.warnings.append(TopologyWarning(
                    f"MFT of switch {sw:#018x} differs between files; the later file wins",
                    other.sources[-1][0] if other.sources else None, None, "conflict"))
            self.mfts[sw] = entries
        self.lids.update(other.lids)
        for mgid, group in other.groups.items():
            mine = self.groups.get(mgid)
            if mine is None or mine.mlid != group.mlid:
                self.groups[mgid] = group
                continue
            mine.fields.update(group.fields)
            mine.well_known |= group.well_known
            if group.members_known or group.members:
                mine.members, mine.proxies = group.members, group.proxies
                mine.members_known = group.members_known
        for sw, info in other.switch_info.items():
            self.switch_info[sw] = info
        self.sm = other.sm or self.sm
        self.sm_log = other.sm_log or self.sm_log
        self.lfts_complete |= other.lfts_complete
        self.mfts_complete |= other.mfts_complete
        self.groups_complete |= other.groups_complete
        self.descriptions.update(other.descriptions)
        self.sources += other.sources
        self.topology_files += other.topology_files
        if self.topology is None:
            self.topology = other.topology
        self.warnings += other.warnings

    # ---------------------------------------------------------------- reporting
    def summary(self) -> str:
        """One line: how much state was read."""
        members = sum(len(g.members) for g in self.groups.values())
        entries = sum(len(t) for t in self.mfts.values())
        text = (f"{len(self.lids)} LIDs, {len(self.lfts)} LFTs, {len(self.mfts)} MFTs "
                f"({entries} entries), {len(self.groups)} groups ({members} members)")
        if self.sm is not None:
            text += f", SM LID {self.sm.lid:#06x} {self.sm.state}"
        return text

    def lid_owner(self) -> dict[int, int]:
        """Every unicast LID (whole LMC ranges) -> port GUID."""
        return {lid: guid for guid, (base, lmc) in self.lids.items()
                for lid in range(base, base + (1 << lmc))}


def _same_table(a: np.ndarray, b: np.ndarray) -> bool:
    size = max(len(a), len(b))
    pa = np.full(size, NO_PORT, np.uint8)
    pb = np.full(size, NO_PORT, np.uint8)
    pa[: len(a)] = a
    pb[: len(b)] = b
    return bool((pa == pb).all())
