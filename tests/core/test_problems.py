"""Health checks on the simulated subnet manager's own tables (no real tools needed):
healthy after a sweep and joins; each fault injected into the tables is found and named."""

from __future__ import annotations

import numpy as np
import pytest

from ibviz.core.addressing import link_local_gid, parse_gid
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.naming import describe_node, host_name, node_name
from ibviz.core.problems import Severity, check_subnet
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, JoinState, McMemberRecord, SaMethod
from ibviz.core.state_diff import diff_states
from ibviz.topology import open_fabric

MGID = parse_gid("ff12:1::1")


def subnet(spec: str, members: int = 4, stride: int = 8):
    fabric = open_fabric(spec)
    sm = SubnetManager(fabric)
    sm.sweep()
    cas = sorted((n for n in fabric.nodes.values() if n.kind is NodeKind.CA),
                 key=lambda n: n.guid)[::stride][:members]
    for ca in cas:
        port = ca.ports[1]
        sm.sa_request(SaMethod.SET, PortRef(ca.guid, 1),
                      McMemberRecord(mgid=MGID, port_gid=link_local_gid(port.guid),
                                     join_state=int(JoinState.FULL)),
                      int(REQUIRED_FOR_CREATE))
    return fabric, sm, [PortRef(c.guid, 1) for c in cas]


@pytest.mark.parametrize("description, name", [
    ("node017 HCA-1", "node017"), ("pg-spd077 mlx5_3", "pg-spd077"),
    ("MF0;lassen-ibcore1-mgt1:CS7500/L05/U1", "lassen-ibcore1-mgt1/L05/U1"),
    ("MF0;sw-leaf07:MQM8700/U1", "sw-leaf07"), ("ss70.cn.a0905.qm8790.krskp", "ss70.cn.a0905.qm8790.krskp"),
    ("Mellanox Technologies Aggregation Node", ""), ("MT4123 ConnectX6 Mellanox Technologies", ""),
    ("", ""), ("  agpu1305 HCA-2  ", "agpu1305")])
def test_host_names_from_node_descriptions(description, name):
    assert host_name(description) == name


@pytest.mark.parametrize("spec", ["leaf-spine:hcas=32,hcas_per_leaf=8,spines=2",
                                  "fat-tree:k=4,n=3", "torus:dims=3x3", "ring:switches=5"])
def test_the_sms_own_tables_are_healthy(spec):
    fabric, sm, members = subnet(spec, stride=3)
    assert len(members) >= 2
    report = check_subnet(fabric, sm)
    assert report.healthy, [str(p) for p in report.problems]
    assert report.checked["members"] == len(members)
    assert report.checked["lft_paths"] == len(sm.lfts) * report.checked["lids"]


def test_removed_member_port_is_unreached_from_everyone():
    fabric, sm, members = subnet("leaf-spine:hcas=32,hcas_per_leaf=8,spines=2")
    victim = members[0]
    leaf = fabric.peer(victim)
    mlid = sm.sa.groups[MGID].mlid
    sm.mfts[leaf.node][mlid] = sm.mfts[leaf.node][mlid] - {leaf.port}
    found = check_subnet(fabric, sm).problems
    assert [p.kind for p in found] == ["member-unreached"]
    assert found[0].severity is Severity.ERROR and found[0].mlid == mlid
    assert found[0].detail.startswith(f"member {describe_node(fabric, victim.node, 1)} is not "
                                      "reached from 3 of 3 other members")


def test_loop_in_a_ring_is_found():
    fabric, sm, _ = subnet("ring:switches=5", members=3, stride=2)
    mlid = sm.sa.groups[MGID].mlid
    # close the ring: every switch forwards the MLID on both ring ports
    for sw in sm.mfts:
        ring_ports = {p for p, port in fabric.nodes[sw].ports.items() if p and
                      (peer := fabric.peer(PortRef(sw, p))) is not None and
                      fabric.nodes[peer.node].kind is NodeKind.SWITCH}
        sm.mfts[sw][mlid] = sm.mfts[sw].get(mlid, frozenset()) | ring_ports
    kinds = {p.kind for p in check_subnet(fabric, sm).problems}
    assert "mft-loop" in kinds


def test_unicast_loop_and_no_route():
    fabric, sm, _ = subnet("leaf-spine:hcas=32,hcas_per_leaf=8,spines=2")
    leaf = min(sm.lfts)
    lid = max(fabric.lid_owners())
    owner = fabric.lid_owners()[lid][0]
    sm.lfts[leaf] = np.array(sm.lfts[leaf])
    if fabric.peer(PortRef(leaf, int(sm.lfts[leaf][lid]))) == owner:
        pytest.skip("the chosen LID hangs off the first leaf")
    sm.lfts[leaf][lid] = 255
    found = check_subnet(fabric, sm).problems
    assert [p.kind for p in found] == ["lid-unreachable"] and found[0].lid == lid
    assert "has no route (port 255)" in found[0].detail
    assert "not delivered from 1 of" in found[0].detail
    # the spine the leaf uses sends the LID back down to the leaf
    sm.sweep()
    up = int(sm.lfts[leaf][lid])
    spine = fabric.peer(PortRef(leaf, up))
    sm.lfts[spine.node] = np.array(sm.lfts[spine.node])
    sm.lfts[spine.node][lid] = spine.port
    found = check_subnet(fabric, sm).problems
    assert {p.kind for p in found} == {"lid-loop"}
    assert "loops through" in found[0].detail


def test_group_with_members_but_no_tree_and_stale_mlid():
    fabric, sm, _ = subnet("leaf-spine:hcas=32,hcas_per_leaf=8,spines=2")
    mlid = sm.sa.groups[MGID].mlid
    for table in sm.mfts.values():
        table.pop(mlid, None)
    some = min(sm.mfts)
    sm.mfts[some][0xC0FF] = frozenset({1})
    found = {p.kind: p for p in check_subnet(fabric, sm).problems}
    assert set(found) == {"group-no-mft", "mft-no-group"}
    assert found["mft-no-group"].mlid == 0xC0FF
    # without a complete SA group list a stale MLID is not called stale
    report = check_subnet(fabric, sm, groups_known=False)
    assert "mft-no-group" not in {p.kind for p in report.problems}
    assert any("not checked against groups" in n for n in report.notes)


def test_diff_of_a_node_failure_on_the_simulated_subnet():
    spec = "leaf-spine:hcas=32,hcas_per_leaf=8,spines=2"
    old_fabric, old_sm, members = subnet(spec)
    fabric, sm, _ = subnet(spec)
    assert diff_states(old_fabric, old_sm, fabric, sm).is_empty
    victim = members[0]
    sm.fail_node(victim.node)
    sm.sweep()
    d = diff_states(old_fabric, old_sm, fabric, sm)
    assert [(m["change"], m["node"]) for m in d.members_changed] == \
        [("left", f"{victim.node:#018x}")]
    leaf = old_fabric.peer(victim)
    mlid = f"{sm.sa.groups[MGID].mlid:#06x}"
    assert any(e["switch"] == f"{leaf.node:#018x}" and e["mlid"] == mlid and
               leaf.port in e["old"] and leaf.port not in e["new"] for e in d.mft_changed)
    lid = old_fabric.nodes[victim.node].ports[1].lid
    assert f"{lid:#06x}" in {e["lid"] for e in d.lft_changed}
    name = node_name(old_fabric.nodes[victim.node])
    assert any(line.startswith("~ member ") and name in line for line in d.lines())
