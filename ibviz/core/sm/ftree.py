"""OpenSM's fat-tree routing engine (``opensm -R ftree``, ``osm_ucast_ftree.c`` of 3.3.23).

:func:`ftree_table` fills the LFTs exactly as OpenSM's ftree does, or raises
:class:`FtreeUnsupported` where OpenSM gives up on the fabric; OpenSM then routes with
its default engine, minhop (``osm_ucast_mgr_process``), which is what
:func:`~ibviz.core.sm.routing.compute_lfts` does with ``algorithm="ftree"``, subnet by
subnet (:func:`route_subnets`: one OpenSM sees one subnet).

What OpenSM checks, in its order (each failure falls back): LMC 0; at least two
switches and two non-switch nodes; no CA cabled to a CA; ranking (from a root GUID file
if one is given and names a switch, else from the CAs' switches, reversed, then again
from the switches that came out on top); unranked switches dropped (their CAs' ports
with them); some compute node; tree rank (leaf rank + 1) 2..8; every CN's switch at the
leaf rank; at least two leaf switches; and, without a root file, every switch of a rank
alike (``fabric_validate_topology``).

Compute nodes are all CA ports unless ``cn_guids`` (OpenSM's ``cn_guid_file``) lists
port GUIDs; ports in ``io_guids`` (``io_guid_file``) and not CNs are I/O nodes, routed
after the CNs with up to ``max_reverse_hops`` down-up turns. Routers are not routed.

Not reproducible: where OpenSM sorts port groups that lead to CAs by the remote
switch's index, it reads the CA object as a switch and compares bytes of two heap
pointers. Against a switch group that byte (bits 32-39 of a heap address) is above any
rank, so a CA group sorts after the switch groups, as here (an I/O node on a spine
routes as OpenSM does). Among CA groups the order depends on OpenSM's heap: it matters
only once a leaf routed through a sibling (same-rank) link, after which OpenSM re-sorts
the leaf's CA groups while walking them, routes some CNs twice and leaves others
unrouted; ibviz keeps them in port order and routes every CN (tests/core/ftree_fabrics.py
quotes the agreement on such a fabric). ``quasi_ftree_indexing`` and ``connect_roots``
(both off by default) are not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.sm.ftree_build import FtFabric
from ibviz.core.sm.ftree_index import build_index
from ibviz.core.sm.ftree_model import FtreeUnsupported
from ibviz.core.sm.ftree_route import Router

__all__ = ["FtreeOptions", "FtreeUnsupported", "GuidFileError", "build", "ca_order_dump",
           "ftree_table", "read_guid_file", "route_subnets"]


@dataclass(frozen=True)
class FtreeOptions:
    """OpenSM's ftree options: ``root_guid_file`` (switch node GUIDs), ``cn_guid_file``
    and ``io_guid_file`` (port GUIDs), ``max_reverse_hops``."""

    roots: tuple[int, ...] | None = None
    cn_guids: frozenset[int] | None = None
    io_guids: frozenset[int] | None = None
    max_reverse_hops: int = 0


class GuidFileError(ValueError):
    """A line of a GUID file OpenSM's ``parse_node_map`` would refuse."""


def read_guid_file(path: str | Path) -> tuple[int, ...]:
    """GUIDs of an OpenSM GUID file (``root_guid_file``, ``cn_guid_file``,
    ``io_guid_file``), in file order: one GUID a line (C ``strtoull`` base 0: ``0x..``
    hex, leading 0 octal, else decimal), optionally followed by a name; blank lines and
    ``#`` comments are skipped, as ``parse_node_map`` does. Raises
    :class:`GuidFileError` naming the file and line where OpenSM would give up."""
    guids = []
    text = Path(path).read_text(errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        head = re.match(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?=\s|#|$)", word)
        digits = head.group(1) if head else ""
        base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10
        if not digits or int(digits, base) >= 1 << 64:
            raise GuidFileError(f"{path}, line {number}: expected a 64-bit GUID (0x..., "
                                f"octal or decimal) at the start, got {word[:40]!r}")
        guids.append(int(digits, base))
    return tuple(guids)


def build(fabric: Fabric, options: FtreeOptions | None = None,
          members: set[int] | None = None) -> FtFabric:
    """``construct_fabric``: the ranked, indexed fat tree of the subnet of the switches
    ``members`` (default: the whole fabric), or :class:`FtreeUnsupported`."""
    opt = options or FtreeOptions()
    if any(p.lmc for n in fabric.nodes.values() for p in n.lid_ports() if p.lid):
        raise FtreeUnsupported("LMC > 0 is not supported by fat-tree routing")
    ft = FtFabric(fabric, members)
    if ft.switch_count < 2:
        raise FtreeUnsupported(f"Fabric has {ft.switch_count} switches - topology is "
                               "not fat-tree")
    if ft.node_count - ft.switch_count < 2:
        raise FtreeUnsupported(f"Fabric has {ft.node_count} nodes ({ft.switch_count} "
                               "switches) - topology is not fat-tree")
    if opt.cn_guids is not None and not opt.cn_guids:
        raise FtreeUnsupported("the compute node GUID list is empty")
    if opt.io_guids is not None and not opt.io_guids:
        raise FtreeUnsupported("the I/O node GUID list is empty")
    if len(ft.hcas) < 2:
        raise FtreeUnsupported(f"Fabric has {len(ft.hcas)} CAs - topology is not fat-tree")
    ft.roots_given = opt.roots is not None
    ft.rank(opt.roots)
    ft.populate_ports(None if opt.cn_guids is None else set(opt.cn_guids),
                      None if opt.io_guids is None else set(opt.io_guids))
    build_index(ft)
    return ft


def ftree_table(fabric: Fabric, switches: Iterable[int], table: np.ndarray,
                options: FtreeOptions | None = None,
                members: set[int] | None = None) -> FtFabric:
    """Fill the rows of ``table`` (rows in ``switches`` order, initialised to 255) of the
    subnet of ``members`` (default: all switches) with OpenSM's ftree LFTs. Raises
    :class:`FtreeUnsupported` (table untouched) where OpenSM falls back to minhop."""
    opt = options or FtreeOptions()
    ft = build(fabric, opt, members)
    Router(ft, opt.max_reverse_hops).run()
    width = table.shape[1]
    for row, guid in enumerate(switches):
        sw = ft.switches.get(guid)
        if sw is not None:
            lft = np.frombuffer(bytes(sw.lft), dtype=np.uint8)
            n = min(width, len(lft), ft.lft_max_lid + 1)
            table[row, 1:n] = lft[1:n]  # LID 0 is no LID (a fabric before its LIDs)
    return ft


def ca_order_dump(ft: FtFabric) -> str:
    """``opensm-ftree-ca-order.dump`` (``fabric_dump_hca_ordering``) of a routed tree:
    per leaf in index order, its compute-node ports as ``0x<lid>\t<NodeDescription>``,
    then ``0xFFFF\tDUMMY`` up to the most CNs any leaf has."""
    nodes = ft.fabric.nodes
    lines = []
    for sw in ft.leaves:
        printed = 0
        for group in sw.down:
            own = group.hca.group_by_lid(group.remote_lid) if group.hca else None
            if own is not None and own.is_cn:
                lines.append(f"0x{own.lid:04x}\t{nodes[own.owner.guid].description}\n")
                printed += 1
        lines += ["0xFFFF\tDUMMY\n"] * (ft.max_cn_per_leaf - printed)
    return "".join(lines)


def route_subnets(fabric: Fabric, guids: list[int], groups: list[np.ndarray],
                  table: np.ndarray, options: FtreeOptions | None,
                  fallback: Callable[[np.ndarray], None]) -> str:
    """Route each subnet (``groups``: switch numbers, indexing ``guids``) with ftree, or
    with ``fallback(members)`` where OpenSM's ftree gives up on it. Returns the engine
    used: ``"ftree"``, ``"minhop"``, or ``"ftree+minhop"`` when subnets differ."""
    used = set()
    for members in groups:
        try:
            ftree_table(fabric, guids, table, options, {guids[i] for i in members.tolist()})
            used.add("ftree")
        except FtreeUnsupported:
            fallback(members)
            used.add("minhop")
    return "+".join(sorted(used)) or "ftree"
