"""A flow's kept send plan never goes stale: every datagram carries, and every skipped
message names, what the state at its send time gives when looked up afresh (no memo, no
plan), through LID moves, mode changes, failovers, failbacks, learned addresses and a
group's deletion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from ibviz.core import actions as act
from ibviz.core.failover.model import Mode
from ibviz.core.scenario.addressing import NotAddressable, node_address, service_address
from ibviz.core.scenario.session import Session
from ibviz.core.sim.router import port_gid
from ibviz.topology.scenarios import fabric_for, load_scenario, open_session, scenario_names

SMALL = [n for n in scenario_names() if n != "fat-tree-1000"]


def fresh(s: Session, flow: Any) -> tuple | str:
    """What ``flow``'s next packet carries now, from the state alone: (source port,
    DLID, SLID, DestQP, GRH, DGID, SGID), or why nothing can be sent."""
    ctl, sm, fabric, spec = s.controller, s.sm, s.fabric, flow.spec
    node = flow.src.node if flow.src.group is None else ctl.serving.get(flow.src.group)
    if node is None or node in sm.failed:
        return "source node down"
    src = ctl.port_of(node)
    try:
        if flow.dst.group is None:
            addr = node_address(sm, src, ctl.port_of(flow.dst.node), flow.qpn)
        elif spec.learn != "none" and flow.learned is None:
            return f"the service address is not learned yet ({spec.learn})"
        else:
            mode = ctl.modes.get(flow.dst.group, (Mode.MLID, ""))[0]
            addr = service_address(sm, flow.dst, spec.transport, spec.workaround, mode,
                                   s.service_lids.get(flow.dst.group, 0), flow.learned)
    except NotAddressable as exc:
        return str(exc)
    group = sm.sa.groups.get(flow.src.mgid)
    slid = group.mlid if spec.slid == "mlid" and flow.src.group is not None and \
        group is not None else fabric.port(src).lid
    return (src, addr.dlid, slid, addr.dest_qp, addr.has_grh, addr.dgid, port_gid(fabric, src))


class Checker:
    """Compares each planned send (datagrams and UC) and skip with :func:`fresh`."""

    def __init__(self, s: Session) -> None:
        self.s, self.checked, self.skipped = s, 0, 0
        self.wrong: list[tuple] = []
        self.sent: dict[str, list[tuple]] = {}
        self.flows = {f.spec.name: f for f in s.flows if not getattr(f, "reliable", False)}
        inner = s.net.on_send
        assert inner is not None

        def on_send(pid: int, packet: Any, src: Any) -> None:
            flow = self.flows.get(packet.flow)
            if flow is not None and packet.kind == "data":
                got = (src, packet.dlid, packet.slid, packet.dest_qp, packet.has_grh,
                       packet.dgid, packet.sgid)
                self._compare(packet.flow, got)
                assert packet.psn == packet.seq & 0xFFFFFF and packet.src_qp == flow.qpn
            inner(pid, packet, src)
        s.net.on_send = on_send
        for flow in self.flows.values():
            flow.skip = self._skipper(flow, flow.skip)

    def _compare(self, name: str, got: tuple | str) -> None:
        want = fresh(self.s, self.flows[name])
        self.checked += 1
        if isinstance(got, tuple):
            self.sent.setdefault(name, []).append(got)
        if got != want:
            self.wrong.append((self.s.now_us, name, got, want))

    def _skipper(self, flow: Any, skip: Callable[[str], None]) -> Callable[[str], None]:
        def counted(reason: str) -> None:
            self.skipped += 1
            self._compare(flow.spec.name, reason)
            skip(reason)
        return counted


def free_lid(s: Session) -> int:
    return max(s.fabric.lid_owners()) + 1


@pytest.mark.parametrize("name", SMALL)
def test_every_send_carries_the_address_looked_up_afresh(name):
    s = open_session(name)
    check = Checker(s)
    end = s.duration_us
    groups = list(s.controller.groups.values())
    s.run_until(end * 0.3)
    moved = next((f.src.node for f in s.flows if f.src.node is not None), None)
    if moved is not None:  # a LID moves (the SM's event, no sweep): the SLID follows
        s.fabric.assign_lid(s.port_of(moved), free_lid(s), 0)
    s.run_until(end * 0.45)
    if groups:  # a mode forced mid-flow (no event: the controller's table alone)
        s.apply(act.ForceMode(groups[0].name, "lmc"))
    s.run_until(end * 0.55)
    if groups:
        s.apply(act.ForceMode(groups[0].name, "mlid"))
    s.run()
    assert not check.wrong, check.wrong[:5]
    assert check.checked > 20 or not check.flows  # RC flows alone: no plan


def test_the_next_packet_carries_the_new_address_after_each_change():
    s = open_session("fig8")
    check = Checker(s)
    pg = s.controller.groups["svc"]
    sender = s.port_of(next(f.src.node for f in s.flows if f.spec.name == "requests"))

    def last() -> tuple:
        return check.sent["requests"][-1]

    s.run_until(500)
    mlid = last()[1]
    assert mlid >= 0xC000 and last()[2] == s.fabric.port(sender).lid
    s.apply(act.ForceMode("svc", "lmc"))  # the service is the primary's unicast LID
    s.run_until(700)
    assert last()[1] == s.service_lids["svc"] != mlid
    lid = free_lid(s)
    s.fabric.assign_lid(sender, lid, 0)  # the sender's LID moves: its SLID follows
    s.run_until(900)
    assert last()[2] == lid
    s.apply(act.ForceMode("svc", "mlid"))
    s.run_until(1100)
    assert last()[1] == mlid
    for node in [*pg.senders, pg.primary]:  # every member leaves: the group is deleted
        s.apply(act.Leave(node, "svc", "send-only-full" if node in pg.senders else "full"))
    s.run_until(1500)
    assert pg.mgid not in s.sm.sa.groups
    assert s.flows[0].not_sent.get("the group has no MLID (deleted)", 0) > 0
    assert check.checked > 20 and not check.wrong, check.wrong[:5]


def test_a_group_source_follows_the_serving_node_and_a_learned_address():
    s = open_session("ud-mlid-slid")
    check = Checker(s)
    pg = s.controller.groups["svc"]
    flow = next(f for f in s.flows if f.spec.name == "requests-2")
    s.run_until(1000)
    s.controller.serving["svc"] = pg.takeover  # as a recorded outcome moves it: no event
    s.run_until(1500)
    assert check.sent["announce"][-1][0].node == pg.takeover
    s.controller.serving["svc"] = pg.primary
    mlid = flow.learned
    flow.learned = 0xC123  # a new learned address is used at once
    s.run_until(1700)
    assert check.sent["requests-2"][-1][1] == 0xC123
    flow.learned = mlid
    s.run()
    sources = {got[0].node for got in check.sent["announce"]}
    assert sources == {pg.primary, pg.takeover}
    for name in ("requests", "requests-2"):  # learned from a SLID, from a path record
        assert {got[1] for got in check.sent[name]} - {0xC123} == \
            {s.sm.sa.groups[pg.mgid].mlid}
    assert check.skipped > 0 and not check.wrong, check.wrong[:5]


def test_uc_flows_send_by_the_plan_and_a_group_lid_flow_looks_up_each_time():
    sc = load_scenario("fig8")
    workarounds = ("none", "unicast_lid")  # the second: no group LID, counted not sent
    sc = replace(sc, flows=[replace(f, transport="UC", workaround=w)
                            for f, w in zip(sc.flows, workarounds, strict=True)])
    s = Session(sc, fabric_for(sc))
    check = Checker(s)
    s.run_until(3000)
    s.apply(act.ForceMode("svc", "lmc"))
    s.run()
    first, second = s.flows
    assert check.sent[first.spec.name] and not check.wrong, check.wrong[:5]
    assert second.not_sent["the group has no unicast-range LID"] > 0  # until lmc:
    assert {got[1] for got in check.sent[second.spec.name]} == {s.service_lids["svc"]}
