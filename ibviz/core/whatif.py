"""What breaks if this node, switch or link dies: the SM's answer, computed from a real
fabric's state.

The real state (a fabric with its LIDs, and a subnet manager mirror holding the LFTs, MFTs
and groups read from the dumps) becomes a model SM: the same LIDs and LMC, the same
groups and MLIDs, and the switches' real LFTs as the tables it starts from, so that the
re-routing after the failure keeps every still-valid entry as OpenSM does
(``ignore_existing_lfts FALSE``) and moves only the rest. The multicast trees are the
model's own, before and after. For a group the user protects, each failover mode is run
on the model (MLID reassignment, port remap, the prior-art LMC takeover).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ibviz.core.bulk import Progress
from ibviz.core.fabric import Fabric
from ibviz.core.failover import FailoverController, Mode, ProtectedGroup
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import describe_node, node_name
from ibviz.core.problems.multicast import check_group, live_peers
from ibviz.core.problems.unicast import check_unicast
from ibviz.core.sm.groups import RECEIVING
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.state_diff import StateDiff, Tables, diff_states

NO_PATH = 255
MODES = (Mode.MLID, Mode.PORT, Mode.LMC)


@dataclass
class Failures:
    nodes: list[int] = field(default_factory=list)
    links: list[PortRef] = field(default_factory=list)
    """One end of each cable that goes down."""


@dataclass
class WhatIf:
    """The analysis: what the model SM does after the failures, and what it costs."""

    failures: Failures
    diff: StateDiff
    """From the model before the failures to the model after."""
    agreement: dict[str, tuple[int, int]]
    """How well the model reproduces the dumps before the failures: entries equal / total
    (``lft``: the model's own routing vs the real LFTs; ``mft``: its trees vs the MFTs)."""
    lids_lost: list[int]
    """LIDs of ports the failures take away (failed nodes, nodes cut off)."""
    unreachable: list[dict[str, Any]]
    """LIDs still present that some switch no longer delivers."""
    groups: list[dict[str, Any]]
    model: SubnetManager | None = None
    """The model SM after the failures (its ``live_fabric()``, LFTs, MFTs): what a
    window shows while what-if is on."""
    protection: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mft_differs: list[dict[str, Any]] = field(default_factory=list)
    """MFT entries where the dumps and the model's own trees differ (before the failures):
    switch, MLID, the dumps' ports and the model's."""
    already_unreached: list[dict[str, Any]] = field(default_factory=list)
    """Members the dumps' own MFTs already fail to reach, before the failures (as
    ``ibviz check`` finds them)."""


def _lmc(fabric: Fabric) -> int:
    counts = Counter(p.lmc for n in fabric.nodes.values() if n.kind is NodeKind.CA
                     for p in n.lid_ports() if p.lid)
    return counts.most_common(1)[0][0] if counts else 0


def model_sm(fabric: Fabric, mirror: SubnetManager, routing: str = "minhop",
             sm_port: PortRef | None = None) -> SubnetManager:
    """A subnet manager that starts where the real one is (see the module doc); it works on
    a copy of ``fabric``."""
    copy = fabric.copy()
    sm = SubnetManager(copy, SmConfig(lmc=_lmc(fabric), routing=routing,
                                      sm_port=sm_port or fabric.master_sm,
                                      broadcast_group=False))
    for mgid, group in mirror.sa.groups.items():
        sm.sa.groups[mgid] = group.copy()
    for guid, info in mirror.switch_info.items():
        if guid in sm.fabric.nodes and not info.keeps_multicast_table:
            sm.config.no_mft_switches.add(guid)
    sm.sweep(reason="model of the dumps")
    return sm


def seed_real_lfts(sm: SubnetManager, mirror: SubnetManager) -> tuple[int, int]:
    """Replace the model's LFTs by the real ones; returns (entries equal, entries) of the
    model's own routing against them, over the LIDs the model routes."""
    equal = total = 0
    for sw, real in mirror.lfts.items():
        mine = sm.lfts.get(sw)
        if mine is None:
            continue
        size = max(len(mine), len(real))
        a = np.full(size, NO_PATH, np.uint8)
        b = np.full(size, NO_PATH, np.uint8)
        a[: len(mine)], b[: len(real)] = mine, real
        routed = a != NO_PATH
        equal += int((a[routed] == b[routed]).sum())
        total += int(routed.sum())
        sm.lfts[sw] = b
    return equal, total


def _mft_agreement(sm: SubnetManager, mirror: SubnetManager) -> tuple[int, int]:
    pairs = {(sw, mlid) for t in (sm.mfts, mirror.mfts) for sw, e in t.items() for mlid in e}
    equal = sum(1 for sw, mlid in pairs
                if sm.mfts.get(sw, {}).get(mlid) == mirror.mfts.get(sw, {}).get(mlid))
    return equal, len(pairs)


def _standby_port(fabric: Fabric, guid: int) -> PortRef:
    node = fabric.nodes[guid]
    if node.kind is NodeKind.SWITCH:
        return PortRef(guid, 0)
    port = next((p.num for p in node.lid_ports() if p.lid), None)
    return PortRef(guid, port if port is not None else 1)


def mft_differences(sm: SubnetManager, mirror: SubnetManager) -> list[dict[str, Any]]:
    """Each (switch, MLID) whose MFT entry in the dumps differs from the model's own."""
    out = []
    pairs = {(sw, mlid) for t in (sm.mfts, mirror.mfts) for sw, e in t.items() for mlid in e}
    for sw, mlid in sorted(pairs):
        real, mine = mirror.mfts.get(sw, {}).get(mlid), sm.mfts.get(sw, {}).get(mlid)
        if real != mine:
            node = sm.fabric.nodes.get(sw)
            out.append({"switch": f"{sw:#018x}",
                        "name": node_name(node) if node is not None else f"{sw:#018x}",
                        "mlid": f"{mlid:#06x}", "dumps": sorted(real or ()),
                        "model": sorted(mine or ())})
    return out


def unreached_in_dumps(fabric: Fabric, mirror: SubnetManager) -> list[dict[str, Any]]:
    """Members the dumps' own MFTs do not reach (``member-unreached`` of ``ibviz check``)."""
    live = live_peers(fabric)
    return [p.to_dict() for g in sorted(mirror.sa.groups.values(), key=lambda g: g.mlid)
            for p in check_group(fabric, mirror, g, live) if p.kind == "member-unreached"]


def apply_failures(sm: SubnetManager, failures: Failures, standby: int | None = None,
                   standby_from: str = "--standby") -> str | None:
    """Fail and re-sweep. When the SM's own node fails, a standby SM takes over (and, being
    a new master, routes afresh): on ``standby`` when given, else (the dumps name no
    standby) the analysis assumes one on the lowest-GUID switch left; the text returned
    says which (``standby_from``: what named the standby, an option or a file)."""
    note = None
    if standby is not None and standby in failures.nodes:
        raise ValueError(f"the standby SM's node {describe_node(sm.fabric, standby)} fails too")
    if sm.sm_port.node in failures.nodes:
        was = describe_node(sm.fabric, sm.sm_port.node)
        if standby is not None:
            note = (f"the SM ran on {was}: the standby SM on "
                    f"{describe_node(sm.fabric, standby)} (named by {standby_from}) takes "
                    "over and, as a new master, routes afresh")
        else:
            standby = min((n.guid for n in sm.fabric.switches()
                           if n.guid not in failures.nodes), default=None)
            if standby is None:
                raise ValueError("the failure takes every switch: no SM is left")
            note = (f"the SM ran on {was}: no standby SM is known in the files (they name "
                    f"only the master); the analysis ASSUMES one on "
                    f"{describe_node(sm.fabric, standby)} (the lowest-GUID switch left; "
                    "name another with --standby NODE), which takes over and, as a new "
                    "master, routes afresh")
        sm.config.sm_port = _standby_port(sm.fabric, standby)
    for guid in failures.nodes:
        sm.fail_node(guid)
    for ref in failures.links:
        sm.set_link(ref, False)
    sm.sweep(reason="what if")
    return note


def what_if(fabric: Fabric, mirror: SubnetManager, failures: Failures, *,
            routing: str = "minhop", protect: int | None = None,
            takeover: int | None = None, standby: int | None = None,
            standby_from: str = "--standby", progress: Progress | None = None) -> WhatIf:
    """Fail ``failures`` on a model of the real state and report what changes.

    ``protect`` (an MGID) asks what each failover mode would do for that group when its
    member on the first failed node fails, ``takeover`` taking over (default: another
    receiving member); ``standby``: the node whose standby SM takes over if the master's
    node fails (default: assumed, see :func:`apply_failures`); ``progress`` gets
    (steps done, steps)."""
    steps = 4 + (len(MODES) if protect is not None else 0)
    step = progress or (lambda done, total: None)
    step(0, steps)
    sm = model_sm(fabric, mirror, routing)
    step(1, steps)
    differs = mft_differences(sm, mirror)
    agreement = {"mft": _mft_agreement(sm, mirror), "lft": seed_real_lfts(sm, mirror)}
    before_fabric, before = sm.fabric.copy(), Tables.of(sm)
    owners_before = sm.fabric.lid_owners()
    note = apply_failures(sm, failures, standby, standby_from)
    step(2, steps)
    diff = diff_states(before_fabric, before, sm.fabric, sm)
    step(3, steps)
    live = sm.live_fabric()
    lost = sorted(lid for lid, refs in owners_before.items()
                  if not any(r.node in live.nodes for r in refs))
    tables = {sw: t for sw, t in sm.lfts.items() if sw in live.nodes}
    problems, _pairs = check_unicast(live, tables)
    unreachable = [p.to_dict() for p in problems if p.lid not in lost]
    result = WhatIf(failures, diff, agreement, lost, unreachable, _group_impact(sm, diff),
                    notes=[note] if note else [], mft_differs=differs,
                    already_unreached=unreached_in_dumps(fabric, mirror) if differs else [])
    step(4, steps)
    if protect is not None:
        gone = [g for g in before_fabric.nodes if g not in live.nodes]
        result.protection = protection(fabric, mirror, routing, protect, gone, takeover,
                                       lambda done: step(4 + done, steps))
        step(steps, steps)
    result.model = sm
    return result


def _group_impact(sm: SubnetManager, diff: StateDiff) -> list[dict[str, Any]]:
    by_mlid: dict[str, dict[str, Any]] = {}
    for m in diff.members_changed:
        entry = by_mlid.setdefault(m["mlid"], {"mlid": m["mlid"], "mgid": m["mgid"],
                                               "members_lost": [], "tree_changes": []})
        if m["change"] == "left":
            entry["members_lost"].append(m["text"].split(": ", 1)[1].rsplit(" left", 1)[0])
    for change in diff.mft_changed:
        entry = by_mlid.setdefault(change["mlid"], {"mlid": change["mlid"], "mgid": None,
                                                    "members_lost": [], "tree_changes": []})
        entry["tree_changes"].append(change["text"])
    groups = {f"{g.mlid:#06x}": g for g in sm.sa.groups.values()}
    for mlid, entry in by_mlid.items():
        group = groups.get(mlid)
        entry["members_left"] = len(group.members) if group is not None else 0
        if entry["mgid"] is None and group is not None:
            import ipaddress

            entry["mgid"] = str(ipaddress.IPv6Address(group.mgid))
    return sorted(by_mlid.values(), key=lambda e: e["mlid"])


def protection(fabric: Fabric, mirror: SubnetManager, routing: str, mgid: int,
               gone: list[int], takeover: int | None,
               done: Callable[[int], None] | None = None) -> dict[str, dict[str, Any]]:
    """Each failover mode on the model, for group ``mgid`` losing its member on a node the
    failures take away (``gone``: failed, or cut off behind a failed switch or cable);
    ``done`` gets the number of modes run so far."""
    group = mirror.sa.groups.get(mgid)
    if group is None:
        raise ValueError(f"no group {mgid:#x} in the state")
    primary = next((r.node for r in sorted(group.members) if r.node in set(gone)), None)
    if primary is None:
        return {m.value: {"problem": "the failure does not remove a member of this group"}
                for m in MODES}
    receivers = [r.node for r, m in sorted(group.members.items())
                 if m.join_state & RECEIVING and r.node != primary]
    leaf = {p.node for r in group.members if r.node == primary
            and (p := fabric.peer(r)) is not None}
    beside = [g for g in receivers if any(
        (p := fabric.peer(PortRef(g, n))) is not None and p.node in leaf
        for n in fabric.nodes[g].ports)]  # on the primary's switch: port remap can work
    chosen = takeover if takeover is not None else \
        next(iter(beside or receivers), None)
    if chosen is None:
        return {m.value: {"problem": "no other receiving member to take over"} for m in MODES}
    senders = sorted({r.node for r in group.members} - {primary, chosen})
    out: dict[str, dict[str, Any]] = {}
    for n, mode in enumerate(MODES):
        if done is not None:
            done(n)
        sm = model_sm(fabric, mirror, routing)
        seed_real_lfts(sm, mirror)
        ctl = FailoverController(sm)
        pg = ProtectedGroup("protected", mgid, primary, chosen, senders, mode=mode)
        try:
            ctl.protect(pg)
        except (ValueError, KeyError) as exc:
            out[mode.value] = {"problem": f"cannot be set up here: {exc}"}
            continue
        ctl.fail(primary, at_us=ctl.engine.now + 1.0)
        ctl.engine.run()
        outcome = next((o for o in ctl.outcomes if o.kind == "failover"), None)
        if outcome is None:
            out[mode.value] = {"problem": "no failover happened"}
            continue
        d = outcome.to_dict()
        out[mode.value] = {k: d[k] for k in (
            "outage_us", "problem", "mads", "lft_blocks_written", "mft_blocks_written",
            "takeover_lids_changed", "remote_peers_touched")}
        out[mode.value]["takeover"] = describe_node(fabric, chosen)
        out[mode.value]["primary"] = node_name(fabric.nodes[primary])
    return out
