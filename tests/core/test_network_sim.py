"""Data packets through the SM's tables: delivery, receive checks, conservation, and the
product's promise after a failover (every live receiver gets each multicast packet once)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibviz.core.addressing import MULTICAST_QPN, make_mgid
from ibviz.core.failover import FailoverController, Mode, ProtectedGroup
from ibviz.core.model import PortRef
from ibviz.core.sim.engine import Engine
from ibviz.core.sim.network import NetworkSim
from ibviz.core.sim.packet import DataPacket
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.core.sm.records import JoinState, SaMethod
from ibviz.topology.builtin import FAILOVER_ROLES, load_builtin
from ibviz.topology.generators import leaf_spine, torus

MGID = make_mgid(signature=0x601B, group_id=7)


def protected(name="fig8", mode=Mode.MLID, no_mft=False):
    fabric = load_builtin(name)
    roles = FAILOVER_ROLES[name]
    sm = SubnetManager(fabric, SmConfig(no_mft_switches={roles["switch"]} if no_mft else set()))
    sm.sweep()
    engine = Engine()
    ctl = FailoverController(sm, engine)
    ctl.protect(ProtectedGroup("svc", MGID, roles["primary"], roles["takeover"],
                               list(roles["senders"]), mode=mode))
    net = NetworkSim(sm, engine)
    return fabric, roles, sm, ctl, net


def mcast(mlid: int, flow: str = "m") -> DataPacket:
    return DataPacket(flow, mlid, mlid, MULTICAST_QPN, has_grh=True)  # UD: the MLID as SLID


def test_unicast_follows_the_lfts_and_is_timed():
    fabric, roles, sm, ctl, net = protected()
    dst = fabric.port(PortRef(roles["takeover"], 1))
    net.send(PortRef(roles["senders"][0], 1), DataPacket("u", dst.lid, 5, 0x10))
    ctl.engine.run()
    (d,) = net.deliveries
    assert d.port == PortRef(roles["takeover"], 1) and d.time_us > 0
    assert net.counters["u"].delivered == 1 and net.conservation_holds()


def test_receive_checks_name_their_reason():
    fabric, roles, sm, ctl, net = protected()
    mlid = ctl.mlids["svc"]
    net.attach_group_receivers()
    src = PortRef(roles["senders"][0], 1)
    net.send(src, DataPacket("rc", mlid, 5, MULTICAST_QPN, has_grh=True, transport="RC"))
    net.send(src, DataPacket("noqp", mlid, mlid, 0x22, has_grh=True))
    net.send(src, DataPacket("nogrh", mlid, mlid, MULTICAST_QPN))
    net.send(src, DataPacket("dlid0", 0, 5, 1))
    ctl.engine.run()
    reasons = {f: dict(c.dropped) for f, c in net.counters.items()}
    tree_end = {"multicast tree ends here": 1}  # the copy towards send-only sender-2's switch
    assert reasons["rc"] == {"multicast is not defined for RC": 1} | tree_end
    assert reasons["noqp"] == {f"QP 0x22 is not attached to MLID {mlid:#06x}": 1} | tree_end
    assert reasons["nogrh"] == {"multicast packet without GRH": 1} | tree_end
    assert reasons["dlid0"] == {"DLID 0": 1}
    assert all(c.delivered == 0 for c in net.counters.values())
    assert net.conservation_holds()


def test_multicast_reaches_the_primary_then_the_takeover_without_peers_changing():
    fabric, roles, sm, ctl, net = protected()
    mlid = ctl.mlids["svc"]
    src = PortRef(roles["senders"][0], 1)
    net.attach_group_receivers()
    net.send(src, mcast(mlid, "before"))
    ctl.engine.run()
    ctl.fail(roles["primary"], at_us=ctl.engine.now + 1)
    ctl.engine.run()
    net.attach_group_receivers()
    net.send(src, mcast(mlid, "after"))          # same packet, same DLID: the peer is unchanged
    ctl.engine.run()
    got = {(d.flow, d.port.node) for d in net.deliveries}
    assert got == {("before", roles["primary"]), ("after", roles["takeover"])}
    assert all(c.duplicates == c.loops == 0 for c in net.counters.values())


def test_port_remap_delivers_through_the_default_ports():
    fabric, roles, sm, ctl, net = protected("fig10", Mode.PORT, no_mft=True)
    mlid = ctl.mlids["svc"]
    net.attach_group_receivers()
    net.receive.attach(mlid, PortRef(roles["takeover"], 1))  # standby QP of mode 2
    src = PortRef(roles["senders"][0], 1)
    net.send(src, mcast(mlid, "before"))
    ctl.engine.run()
    ctl.fail(roles["primary"], at_us=ctl.engine.now + 1)
    ctl.engine.run()
    net.send(src, mcast(mlid, "after"))
    ctl.engine.run()
    got = {(d.flow, d.port.node) for d in net.deliveries}
    assert got == {("before", roles["primary"]), ("after", roles["takeover"])}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([lambda: leaf_spine(12, hcas_per_leaf=4, spines=2),
                        lambda: torus((3, 3), hcas_per_switch=1),
                        lambda: leaf_spine(8, hcas_per_leaf=4, dual_port=True)]),
       st.integers(0, 1000), st.integers(2, 5))
def test_after_failover_every_live_receiver_gets_each_packet_exactly_once(make, pick, n):
    fabric = make()
    sm = SubnetManager(fabric)
    sm.sweep()
    cas = sorted(g.guid for g in fabric.cas())
    primary, takeover = cas[pick % len(cas)], cas[(pick + 1) % len(cas)]
    others = [g for g in cas if g not in (primary, takeover)]
    senders = others[: n - 1]
    listeners = others[n - 1: n + 1]
    engine = Engine()
    ctl = FailoverController(sm, engine)
    ctl.protect(ProtectedGroup("svc", MGID, primary, takeover, senders, mode=Mode.MLID))
    pg = ctl.groups["svc"]
    for g in listeners:  # extra receiving members
        ctl._sa(pg, SaMethod.SET, g, g, JoinState.FULL, "test: join")
    ctl.fail(primary, at_us=10.0)
    engine.run()
    net = NetworkSim(sm, engine)
    net.attach_group_receivers()
    group = sm.sa.groups[MGID]
    for s in senders:
        port = ctl.port_of(s)
        net.send(port, mcast(group.mlid, f"from-{s:x}"))
    engine.run()
    live = {p for p in group.receivers if p.node not in sm.failed}
    assert ctl.port_of(takeover) in live and ctl.serving["svc"] == takeover
    for s in senders:
        flow = f"from-{s:x}"
        got = [d.port for d in net.deliveries if d.flow == flow]
        assert sorted(got) == sorted(live - {ctl.port_of(s)}), flow
        c = net.counters[flow]
        assert c.duplicates == 0 and c.loops == 0
    assert net.conservation_holds()
