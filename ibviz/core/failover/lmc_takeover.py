"""The prior art the product is compared with: LID takeover by LMC expansion.

The takeover port's LMC is widened so that its LID range becomes the aligned block that
holds the failed port's LID (a block may not contain LID 0). Other ports whose LIDs sit in
that block must move to free LIDs, and every switch's LFT is recomputed: the disruption
the product's multicast methods avoid. Remote peers keep path records naming the failed
port's GID (and the moved ports' old LIDs), which are now stale.

The new LIDs live until the next full sweep re-applies the SM's guid2lid map, which is
what the failback does.
"""

from __future__ import annotations

from ibviz.core.addressing import MAX_LMC, UNICAST_LID_MAX
from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SubnetManager


def _free_lid(used: set[int], avoid: range) -> int:
    lid = 1
    while lid in used or lid in avoid:
        lid += 1
    if lid > UNICAST_LID_MAX:
        raise ValueError("no free unicast LID left")
    return lid


def _blocks(own: range, target: int):
    """Candidate (LMC, block) pairs, best first: the smallest aligned block holding both the
    takeover's LIDs and the failed LID (the patent's "expand the LMC range"), then, where no
    block can hold both (LID 0 may not be in one, LMC stops at 7), the smallest block around
    the failed LID alone, which moves the takeover's own base LID."""
    start = max(1, (len(own) - 1).bit_length())
    for keep in (True, False):
        for lmc in range(start, MAX_LMC + 1):
            base = target & ~((1 << lmc) - 1)
            block = range(base, base + (1 << lmc))
            if base and (not keep or (own[0] in block and own[-1] in block)):
                yield lmc, block, keep
                break


def lmc_takeover(sm: SubnetManager, takeover: PortRef, failed: PortRef,
                 saved: dict[PortRef, tuple[int, int]]) -> tuple[bool, str, set[PortRef]]:
    """Widen the takeover port's LMC over the failed port's LID.

    Returns ``(done, text, moved)``: whether it was possible, what happened, and the ports
    whose LIDs changed: other ports moved out of the block, and the takeover itself when
    alignment forced its base LID out of its old range (it lost LIDs). ``saved`` keeps the
    takeover's old (LID, LMC).
    """
    port = sm.fabric.port(takeover)
    old = (port.lid, port.lmc)
    target = sm.fabric.port(failed).lid
    if not old[0] or not target:
        return False, "impossible: the takeover or the failed port has no LID", set()
    owners = sm.fabric.lid_owners()
    own = port.lids()
    for lmc, block, kept in _blocks(own, target):
        base = block[0]
        movers = sorted({r for lid in block for r in owners.get(lid, ())
                         if r not in (takeover, failed)})
        saved[takeover] = old
        used = set(owners)
        for ref in movers:
            new = _free_lid(used, block)
            used.add(new)
            sm.fabric.assign_lid(ref, new, 0)
            sm.smp("PortInfo", ref.node, ref.port, "prior art: move a LID out of the way",
                   lid=new, lmc=0)
        sm.fabric.assign_lid(takeover, base, lmc)
        sm.smp("PortInfo", takeover.node, takeover.port, "prior art: widen LMC",
               lid=base, lmc=lmc)
        from ibviz.core.sm.routing import compute_lfts

        sm._program_lfts(compute_lfts(sm.live_fabric(), algorithm=sm.config.routing),
                         "prior art: re-route after the LID move")
        lost = sorted(set(own) - set(block))
        moved = set(movers) | ({takeover} if lost else set())
        text = (f"{takeover} LMC {old[1]} -> {lmc}: LIDs {base:#x}-{block[-1]:#x} now "
                f"include the failed LID {target:#x}")
        if not kept:
            text += (f"; no aligned block holds both its LID {own[0]:#x} and {target:#x}, so "
                     f"its own LID{'s' if len(lost) > 1 else ''} "
                     f"{', '.join(f'{x:#x}' for x in lost)} had to go")
        if movers:
            text += f"; {len(movers)} other port(s) had to move"
        return True, text + "; every LFT recomputed", moved
    return False, (f"impossible: no LMC <= {MAX_LMC} gives a block holding LID {target:#x} "
                   "without LID 0"), set()


def lmc_release(sm: SubnetManager, takeover: PortRef, saved: dict[PortRef, tuple[int, int]]
                ) -> str:
    """Give the takeover port its old LID/LMC back; the re-sweep restores moved ports."""
    lid, lmc = saved.pop(takeover, (sm.fabric.port(takeover).lid, 0))
    sm.fabric.assign_lid(takeover, lid, lmc)
    sm.smp("PortInfo", takeover.node, takeover.port, "prior art failback", lid=lid, lmc=lmc)
    sm.sweep(reason="prior art failback: re-sweep")
    return f"{takeover} back to LID {lid:#x} LMC {lmc}; SM re-swept"
