"""The prior art the product is compared with: LID takeover by LMC expansion.

The takeover port widens its LMC until its LID range covers the failed port's base LID,
and every switch's LFT must then route that LID to the takeover port. Remote peers keep
path records with the failed port's GID, which are now stale.
"""

from __future__ import annotations

from ibviz.core.addressing import MAX_LMC
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SubnetManager


def lmc_takeover(sm: SubnetManager, takeover: PortRef, failed: PortRef,
                 saved: dict[PortRef, tuple[int, int]]) -> str:
    """Widen the takeover port's LMC over the failed port's LID; ``saved`` keeps the old
    (LID, LMC) for :func:`lmc_release`."""
    port = sm.fabric.port(takeover)
    target = sm.fabric.port(failed).lid
    lmc = next((k for k in range(MAX_LMC + 1) if (port.lid >> k) == (target >> k)), None)
    if lmc is None:
        return f"impossible: LID {target:#x} is outside every LMC range of {takeover}"
    saved[takeover] = (port.lid, port.lmc)
    base = port.lid & ~((1 << lmc) - 1)
    sm.fabric.assign_lid(takeover, base, lmc)
    sm.smp("PortInfo", takeover.node, takeover.port, "prior art: widen LMC", lid=base, lmc=lmc)
    moved = 0
    for sw, table in sm.lfts.items():
        path_port = table[port.lid] if port.lid < len(table) else 255
        if target < len(table) and table[target] != path_port:
            table[target] = path_port
            sm.smp("LinearForwardingTable", sw, target // 64, "prior art: route the moved LID")
            moved += 1
    return (f"{takeover} LMC {lmc} covers LID {target:#x}; {moved} switch LFT(s) rewritten")


def lmc_release(sm: SubnetManager, takeover: PortRef, failed: PortRef,
                saved: dict[PortRef, tuple[int, int]]) -> str:
    lid, lmc = saved.pop(takeover, (sm.fabric.port(takeover).lid, 0))
    sm.fabric.assign_lid(takeover, lid, lmc)
    sm.smp("PortInfo", takeover.node, takeover.port, "prior art failback", lid=lid, lmc=lmc)
    sm.sweep(reason="prior art failback: re-sweep")
    return f"{takeover} back to LID {lid:#x} LMC {lmc}; SM re-swept"
