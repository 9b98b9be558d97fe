"""What changed in a subnet between two snapshots: nodes, links, groups and their members,
MFT entries per switch and MLID, LFT entries per switch and LID.

Snapshots are a fabric plus a subnet manager (the simulation's own, or a mirror filled
from a real fabric's dumps or polls); nodes are matched by GUID, groups by MGID.

>>> d = diff_states(old_fabric, old_sm, new_fabric, new_sm)
>>> d.lines()[:1]
['~ mft leaf07 0xc003: [1, 17] -> [1, 2]']
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ibviz.core.diff import diff_fabrics
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.core.naming import describe_node, node_name, plural
from ibviz.core.sm.groups import McGroup
from ibviz.core.sm.manager import SubnetManager

NO_PATH = 255


def _gid(mgid: int) -> str:
    return str(ipaddress.IPv6Address(mgid))


@dataclass
class StateDiff:
    """Every difference, each entry a JSON-ready dict (GUIDs, MLIDs and LIDs as hex)."""

    nodes_added: list[dict[str, Any]] = field(default_factory=list)
    nodes_removed: list[dict[str, Any]] = field(default_factory=list)
    links_changed: list[dict[str, Any]] = field(default_factory=list)
    members_changed: list[dict[str, Any]] = field(default_factory=list)
    groups_changed: list[dict[str, Any]] = field(default_factory=list)
    mft_changed: list[dict[str, Any]] = field(default_factory=list)
    lft_changed: list[dict[str, Any]] = field(default_factory=list)
    lft_removed: list[dict[str, Any]] = field(default_factory=list)
    """A switch gone with its LFT: one entry (``entries``: the routes it had), in place of
    an ``lft_changed`` entry per LID."""

    KEYS = ("nodes_added", "nodes_removed", "links_changed", "members_changed",
            "groups_changed", "mft_changed", "lft_changed", "lft_removed")

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, k) for k in self.KEYS)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(getattr(self, k)) for k in self.KEYS}

    def lines(self) -> list[str]:
        """One line per difference, as ``ibviz diff`` prints them."""
        out = [f"+ node {n['name']} ({n['guid']}, {n['kind']})" for n in self.nodes_added]
        out += [f"- node {n['name']} ({n['guid']}, {n['kind']})" for n in self.nodes_removed]
        out += [f"{ {'added': '+', 'removed': '-'}.get(lk['change'], '~')} link {lk['text']}"
                for lk in self.links_changed]
        out += [f"{ {'added': '+', 'removed': '-'}.get(g['change'], '~')} group {g['text']}"
                for g in self.groups_changed]
        out += [f"~ member {m['text']}" for m in self.members_changed]
        out += [f"~ mft {m['text']}" for m in self.mft_changed]
        out += [f"- lft {lf['text']}" for lf in self.lft_removed]
        out += [f"~ lft {lf['text']}" for lf in self.lft_changed]
        return out


def _node_entry(fabric: Fabric, guid: int) -> dict[str, Any]:
    node = fabric.nodes[guid]
    return {"guid": f"{guid:#018x}", "name": node_name(node), "kind": node.kind.short}


def _end(fabric: Fabric, ref: PortRef) -> str:
    return f"{node_name(fabric.nodes[ref.node])}[{ref.port}]"


@dataclass
class Tables:
    """What a subnet manager holds that a diff compares: LFTs, MFTs and the SA's groups.
    :meth:`of` copies them, so a snapshot stays as it was while the SM goes on."""

    lfts: dict[int, np.ndarray]
    mfts: dict[int, dict[int, frozenset[int]]]
    groups: dict[int, McGroup]

    @classmethod
    def of(cls, sm: SubnetManager) -> Tables:
        return cls({sw: np.array(t) for sw, t in sm.lfts.items()},
                   {sw: dict(t) for sw, t in sm.mfts.items()},
                   {mgid: g.copy() for mgid, g in sm.sa.groups.items()})


def diff_states(old_fabric: Fabric, old_sm: SubnetManager | Tables, new_fabric: Fabric,
                new_sm: SubnetManager | Tables) -> StateDiff:
    """Differences from the old snapshot to the new one (each an SM or its :class:`Tables`)."""
    old_t = old_sm if isinstance(old_sm, Tables) else Tables(old_sm.lfts, old_sm.mfts,
                                                             old_sm.sa.groups)
    new_t = new_sm if isinstance(new_sm, Tables) else Tables(new_sm.lfts, new_sm.mfts,
                                                             new_sm.sa.groups)
    d = StateDiff()
    fd = diff_fabrics(old_fabric, new_fabric)
    d.nodes_added = [_node_entry(new_fabric, g) for g in fd.nodes_added]
    d.nodes_removed = [_node_entry(old_fabric, g) for g in fd.nodes_removed]
    for change, keys, fabric in (("added", fd.links_added, new_fabric),
                                 ("removed", fd.links_removed, old_fabric)):
        for a, b in keys:
            d.links_changed.append({"change": change, "a": f"{a.node:#018x}:{a.port}",
                                    "b": f"{b.node:#018x}:{b.port}",
                                    "text": f"{_end(fabric, a)} <-> {_end(fabric, b)}"})
    for (a, b), changes in fd.links_changed.items():
        what = ", ".join(str(c) for c in changes)
        d.links_changed.append({"change": "changed", "a": f"{a.node:#018x}:{a.port}",
                                "b": f"{b.node:#018x}:{b.port}", "detail": what,
                                "text": f"{_end(new_fabric, a)} <-> {_end(new_fabric, b)}: "
                                        f"{what}"})
    _diff_groups(d, old_fabric, old_t, new_fabric, new_t)
    _diff_mfts(d, old_t, new_fabric if new_fabric.nodes else old_fabric, new_t)
    _diff_lfts(d, old_fabric, old_t, new_fabric, new_t)
    return d


def _diff_groups(d: StateDiff, old_fabric: Fabric, old_t: Tables, new_fabric: Fabric,
                 new_t: Tables) -> None:
    old, new = old_t.groups, new_t.groups
    for mgid in sorted(old.keys() | new.keys()):
        a, b = old.get(mgid), new.get(mgid)
        if a is None or b is None or a.mlid != b.mlid:
            change = "added" if a is None else "removed" if b is None else "mlid"
            if a is None:
                text = f"{_gid(mgid)} MLID {b.mlid:#06x}" if b is not None else _gid(mgid)
            elif b is None:
                text = f"{_gid(mgid)} MLID {a.mlid:#06x}"
            else:
                text = f"{_gid(mgid)} MLID {a.mlid:#06x} -> {b.mlid:#06x}"
            d.groups_changed.append({
                "change": change, "mgid": _gid(mgid),
                "mlid_old": None if a is None else f"{a.mlid:#06x}",
                "mlid_new": None if b is None else f"{b.mlid:#06x}", "text": text})
        was = {} if a is None else {p: m.join_state for p, m in a.members.items()}
        now = {} if b is None else {p: m.join_state for p, m in b.members.items()}
        for ref in sorted(was.keys() | now.keys()):
            if was.get(ref) == now.get(ref):
                continue
            fabric = new_fabric if ref.node in new_fabric.nodes else old_fabric
            who = describe_node(fabric, ref.node, ref.port)
            old_js, new_js = was.get(ref, 0), now.get(ref, 0)
            change = "joined" if not old_js else "left" if not new_js else "join_state"
            mlid = b.mlid if b is not None else a.mlid if a is not None else 0
            d.members_changed.append({
                "change": change, "mgid": _gid(mgid), "mlid": f"{mlid:#06x}",
                "node": f"{ref.node:#018x}", "port": ref.port, "join_state_old": old_js,
                "join_state_new": new_js,
                "text": f"{_gid(mgid)} (MLID {mlid:#06x}): {who} {change}"
                        + (f" (JoinState {old_js:#x} -> {new_js:#x})"
                           if change == "join_state" else "")})


def _diff_mfts(d: StateDiff, old_t: Tables, fabric: Fabric, new_t: Tables) -> None:
    for sw in sorted(old_t.mfts.keys() | new_t.mfts.keys()):
        a, b = old_t.mfts.get(sw, {}), new_t.mfts.get(sw, {})
        name = node_name(fabric.nodes[sw]) if sw in fabric.nodes else f"{sw:#018x}"
        for mlid in sorted(a.keys() | b.keys()):
            pa, pb = sorted(a.get(mlid, ())), sorted(b.get(mlid, ()))
            if pa != pb:
                d.mft_changed.append({"switch": f"{sw:#018x}", "name": name,
                                      "mlid": f"{mlid:#06x}", "old": pa, "new": pb,
                                      "text": f"{name} {mlid:#06x}: {_ports_change(pa, pb)}"})


SHORT_PORT_LISTS = 8


def _ports_change(old: list[int], new: list[int]) -> str:
    """``[1, 17] -> [1, 2]``; for long lists what went and came: ``64 ports -> 63: -[5]``."""
    if max(len(old), len(new)) <= SHORT_PORT_LISTS:
        return f"{old} -> {new}"
    gone, came = sorted(set(old) - set(new)), sorted(set(new) - set(old))
    parts = ([f"-{gone}"] if gone else []) + ([f"+{came}"] if came else [])
    return f"{len(old)} ports -> {len(new)}: {' '.join(parts)}"


def _diff_lfts(d: StateDiff, old_fabric: Fabric, old_t: Tables, new_fabric: Fabric,
               new_t: Tables) -> None:
    for sw in sorted(old_t.lfts.keys() | new_t.lfts.keys()):
        a = np.asarray(old_t.lfts.get(sw, np.zeros(0, np.uint8)))
        b = np.asarray(new_t.lfts.get(sw, np.zeros(0, np.uint8)))
        size = max(len(a), len(b))
        pa = np.full(size, NO_PATH, np.int64)
        pb = np.full(size, NO_PATH, np.int64)
        pa[: len(a)], pb[: len(b)] = a, b
        fabric = new_fabric if sw in new_fabric.nodes else old_fabric
        name = node_name(fabric.nodes[sw]) if sw in fabric.nodes else f"{sw:#018x}"
        if sw in old_fabric.nodes and sw not in new_fabric.nodes and (pb == NO_PATH).all():
            routes = int((pa != NO_PATH).sum())
            d.lft_removed.append({"switch": f"{sw:#018x}", "name": name, "entries": routes,
                                  "text": f"{name}: all {plural(routes, 'entry', 'entries')} "
                                          "gone with the switch"})
            continue
        for lid in np.nonzero(pa != pb)[0].tolist():
            old_p, new_p = _route(int(pa[lid])), _route(int(pb[lid]))
            d.lft_changed.append({"switch": f"{sw:#018x}", "name": name, "lid": f"{lid:#06x}",
                                  "old": old_p, "new": new_p,
                                  "text": f"{name} LID {lid:#06x}: {_route_text(old_p)} -> "
                                          f"{_route_text(new_p)}"})


def _route(port: int) -> int | None:
    """An LFT entry for JSON: the port number, or None (``null``) for no route (255)."""
    return None if port == NO_PATH else port


def _route_text(port: int | None) -> str:
    return "no route" if port is None else f"port {port}"
