"""Run the real OpenSM on ibsim through a list of failures and returns, next to ibviz's SM.

:func:`opensm_stages` starts ibsim with the fabric's net file and OpenSM attached at a CA,
then, for every event, sends it to ibsim's console (``Unlink``/``ReLink``/``Link``) and
waits for the heavy sweep it triggers ("SUBNET UP" once more); it returns OpenSM's LFTs
(``opensm-lfts.dump``) after the first sweep and after each event. :func:`ibviz_stages`
does the same with :class:`~ibviz.core.sm.manager.SubnetManager`, and
:func:`agreement` counts the LFT entries both SMs agree on.

Events: ``("fail", guid)``, ``("recover", guid)`` (a whole node), ``("unlink", PortRef)``
and ``("relink", PortRef)`` (one cable, named by either end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ibviz.backends.ibsim_process import IbsimFabric
from ibviz.backends.opensm_process import SUBNET_UP, OpenSm
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmConfig, SubnetManager

Event = tuple[str, int | PortRef]
Tables = dict[int, dict[int, int]]
NO_PATH = 255
_HEAD = re.compile(r"Unicast lids \[\S+\] of switch (?:Lid \d+ )?guid 0x([0-9a-f]+)", re.I)
_ENTRY = re.compile(r"0x([0-9a-f]+) (\d+) ", re.I)


def read_lft_dump(text: str) -> Tables:
    """``opensm-lfts.dump``: switch GUID -> {LID: port} (LIDs without a route left out)."""
    tables: Tables = {}
    current: dict[int, int] | None = None
    for line in text.splitlines():
        head = _HEAD.match(line)
        if head:
            current = tables.setdefault(int(head.group(1), 16), {})
            continue
        entry = _ENTRY.match(line)
        if entry and current is not None:
            current[int(entry.group(1), 16)] = int(entry.group(2))
    return tables


def _console_cmd(fabric: Fabric, ids: dict[int, str], event: Event) -> str:
    kind, what = event
    if not isinstance(what, PortRef):
        return f'{"Unlink" if kind == "fail" else "ReLink"} "{ids[what]}"'
    if kind == "unlink":
        return f'Unlink "{ids[what.node]}"[{what.port}]'
    peer = fabric.peer(what)
    assert peer is not None, f"{what} is not cabled"
    return f'Link "{ids[what.node]}"[{what.port}] "{ids[peer.node]}"[{peer.port}]'


DUMP_FILES = ("guid2lid", "opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs",
              "opensm-subnet.lst")


def opensm_stages(fabric: Fabric, workdir: Path, sm: PortRef, events: list[Event],
                  args: tuple[str, ...] = (), timeout: float = 60.0,
                  keep: Path | None = None) -> list[Tables]:
    """OpenSM's LFTs after its first sweep and after each event (see the module doc);
    with ``keep``, its dump files after the last one are copied there."""
    from ibviz.topology.ibnetdiscover_writer import format_ibnetdiscover, ibsim_node_ids

    workdir.mkdir(parents=True, exist_ok=True)
    net = workdir / "net"
    net.write_text(format_ibnetdiscover(fabric, flavour="ibsim"))
    ids = ibsim_node_ids(fabric)
    out: list[Tables] = []
    with IbsimFabric(net, workdir=workdir / "sim") as sim, \
            OpenSm(sim, ids[sm.node], extra_args=args, timeout=timeout) as osm:
        out.append(read_lft_dump(OpenSm.read_stable(osm.lfts_path)))
        for event in events:
            start = osm.log_size()
            sim.console(_console_cmd(fabric, ids, event))
            osm.wait_for_log(SUBNET_UP, timeout, start=start)
            out.append(read_lft_dump(OpenSm.read_stable(osm.lfts_path)))
        if keep is not None:
            assert osm.dir is not None
            keep.mkdir(parents=True, exist_ok=True)
            for name in DUMP_FILES:
                (keep / name).write_text(OpenSm.read_stable(osm.dir / name))
    return out


@dataclass
class IbvizRun:
    """ibviz's SM driven through the same events."""

    manager: SubnetManager
    stages: list[Tables]


def _tables(manager: SubnetManager) -> Tables:
    live = manager.reachable or set()
    return {sw: {lid: int(p) for lid, p in enumerate(t) if p != NO_PATH}
            for sw, t in manager.lfts.items() if sw in live}


def ibviz_stages(fabric: Fabric, sm: PortRef, events: list[Event], *, lmc: int = 0,
                 routing: str = "minhop") -> IbvizRun:
    """ibviz's LFTs after its first sweep and after each event (a sweep after each)."""
    manager = SubnetManager(fabric, SmConfig(lmc=lmc, routing=routing, sm_port=sm,
                                             broadcast_group=False))
    manager.sweep()
    stages = [_tables(manager)]
    for kind, what in events:
        if isinstance(what, PortRef):
            manager.set_link(what, kind == "relink")
        elif kind == "fail":
            manager.fail_node(what)
        else:
            manager.recover_node(what)
        manager.sweep(reason=f"{kind} {what}")
        stages.append(_tables(manager))
    return IbvizRun(manager, stages)


def agreement(ours: Tables, theirs: Tables) -> tuple[int, int]:
    """(entries equal, total): over the switches OpenSM dumped, every LID either SM routes."""
    equal = total = 0
    for sw, table in theirs.items():
        mine = ours.get(sw, {})
        for lid in set(table) | set(mine):
            total += 1
            equal += table.get(lid) == mine.get(lid)
    return equal, total


def as_arrays(tables: Tables) -> dict[int, np.ndarray]:
    """Tables as LFT arrays (255 where no route), for :mod:`ibviz.core.sm.routing` users."""
    top = max((max(t, default=0) for t in tables.values()), default=0)
    out = {}
    for sw, t in tables.items():
        a = np.full(top + 1, NO_PATH, np.uint8)
        a[list(t)] = list(t.values())
        out[sw] = a
    return out
