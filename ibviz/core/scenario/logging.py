"""The session's event log, and the CA side of joins: attach the QP on join, detach on
leave (what an HCA driver does when an application joins or leaves a group)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ibviz.core import events as ev
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sm.groups import RECEIVING
from ibviz.core.sm.manager import SubnetManager

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session


def subscribe_log(session: Session, sm: SubnetManager, net: NetworkSim
                  ) -> list[Callable[[], None]]:
    bus = session.events
    label = lambda guid: sm.fabric.nodes[guid].label if guid in sm.fabric.nodes \
        else f"{guid:#x}"  # noqa: E731

    def group_name(mgid: int) -> str | None:
        group = sm.sa.groups.get(mgid)
        return (group.name or None) if group else None

    def on_join(e: ev.MemberJoined) -> None:
        group = sm.sa.groups.get(e.mgid)
        if group is not None and e.join_state & RECEIVING:
            net.receive.attach(group.mlid, e.port)
        session.note("join", f"{label(e.port.node)} port {e.port.port} joins "
                     f"{group_name(e.mgid)} (JoinState {e.join_state:#x}"
                     f"{', proxy' if e.proxy else ''})", e.port.node, group_name(e.mgid))

    def on_leave(e: ev.MemberLeft) -> None:
        group = sm.sa.groups.get(e.mgid)
        if group is not None and not e.join_state & RECEIVING:
            net.receive.detach(group.mlid, e.port)
        session.note("leave", f"{label(e.port.node)} port {e.port.port} leaves "
                     f"{group_name(e.mgid)}", e.port.node, group_name(e.mgid))

    def on_deleted(e: ev.GroupDeleted) -> None:
        net.receive.attached.pop(e.mlid, None)
        session.note("leave", f"group {e.mgid:#034x} deleted; MLID {e.mlid:#06x} freed")

    def on_mft(e: ev.MftChanged) -> None:
        session.mft_changes.append((session.engine.now, e.switch, e.mlid, e.old, e.new))
        ports = lambda p: ", ".join(map(str, sorted(p)))  # noqa: E731
        text = f"{label(e.switch)} forwards MLID {e.mlid:#06x} to port(s) {ports(e.new)}" \
            if e.new else f"{label(e.switch)} no longer forwards MLID {e.mlid:#06x}"
        session.note("mft", text + (f" (was {ports(e.old)})" if e.old else ""), e.switch)

    def on_phase(e: ev.FailoverPhase) -> None:
        kind = "failback" if "failback" in e.phase else "failover"
        session.note(kind, f"{e.group}: {e.phase}", None, e.group)
        if not e.started and " finished" in e.phase:
            session.checkpoint(kind, e.group)

    handlers: list[tuple[type, Callable]] = [
        (ev.LidAssigned, lambda e: session._lid_memo.clear()),
        (ev.NodeFailed, lambda e: session.note("fail", f"{label(e.guid)} failed", e.guid)),
        (ev.NodeRecovered, lambda e: session.note("recover", f"{label(e.guid)} is back",
                                                  e.guid)),
        (ev.MemberJoined, on_join), (ev.MemberLeft, on_leave),
        (ev.GroupDeleted, on_deleted), (ev.MftChanged, on_mft),
        (ev.PrimaryPortRemapped, lambda e: session.note(
            "remap", f"{label(e.switch)} sends multicast without an MFT entry to port "
            f"{e.new_primary} (DefaultMulticastPrimaryPort, was {e.old_primary}); port "
            f"{e.new_not_primary} is the non-primary one",
            e.switch)),
        (ev.LinkStateChanged, lambda e: session.note(
            "link", f"link {label(e.a.node)}[{e.a.port}] - {label(e.b.node)}[{e.b.port}] "
            f"{'up' if e.up else 'down'}", e.a.node)),
        (ev.SweepDone, lambda e: session.note("sweep", f"SM {'heavy' if e.heavy else 'light'}"
                                              " sweep done")),
        (ev.FailoverPhase, on_phase),
        (ev.MadSent, lambda e: session.note(
            "mad", f"{e.mad.kind} {e.mad.attribute} -> "
            f"{label(e.mad.dst.node) if e.mad.dst else '?'}: {e.mad.reason}",
            e.mad.dst.node if e.mad.dst else None, None, len(sm.mads) - 1)),
    ]
    return [bus.subscribe(kind, handler) for kind, handler in handlers]
