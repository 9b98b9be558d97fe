"""One resolver for what operators type: host name, NodeDescription, GUID, LID, NODE:PORT."""

from __future__ import annotations

import pytest

from ibviz.core.model import PortRef
from ibviz.core.resolve import NodeNotFound, resolve_node, resolve_port, resolve_ref
from ibviz.core.sm.lids import LidManager
from ibviz.topology.generators import leaf_spine


@pytest.fixture()
def fabric():
    f = leaf_spine(8, hcas_per_leaf=4, spines=1, switch_ports=8)
    LidManager().assign(f)
    return f


def test_every_way_of_naming_a_node(fabric):
    ca = next(n for n in fabric.cas() if n.description == "node0002 HCA-1")
    leaf = next(n for n in fabric.switches() if n.name == "leaf01")
    lid = ca.ports[1].lid
    for text in ("node0002", "node0002 HCA-1", f"0x{ca.guid:016x}", f"{ca.guid:x}",
                 f"0x{ca.ports[1].guid:x}", f"guid:{ca.guid:x}", str(lid), f"0x{lid:x}",
                 f"lid:{lid}", " node0002 "):
        assert resolve_node(fabric, text) == ca.guid, text
    assert resolve_ref(fabric, str(lid)) == PortRef(ca.guid, 1)
    assert resolve_ref(fabric, f"0x{ca.ports[1].guid:x}") == PortRef(ca.guid, 1)
    assert resolve_node(fabric, leaf.description) == leaf.guid
    assert resolve_node(fabric, "leaf01") == leaf.guid
    assert resolve_node(fabric, str(leaf.ports[0].lid)) == leaf.guid


def test_node_and_port(fabric):
    leaf = next(n for n in fabric.switches() if n.name == "leaf01")
    ca = next(n for n in fabric.cas() if n.description == "node0002 HCA-1")
    assert resolve_port(fabric, "node0002") == PortRef(ca.guid, 1)
    assert resolve_port(fabric, "node0002:1") == PortRef(ca.guid, 1)
    assert resolve_port(fabric, leaf.description) == PortRef(leaf.guid, 0)  # has a colon
    assert resolve_port(fabric, f"{leaf.description}:3") == PortRef(leaf.guid, 3)
    with pytest.raises(NodeNotFound, match="has no port 9"):
        resolve_port(fabric, "node0002:9")


def test_errors_name_the_text(fabric):
    for text in ("nosuch", "0x1234567890", "999", "lid:0x77", "guid:zz"):
        with pytest.raises(NodeNotFound, match="no node"):
            resolve_node(fabric, text)
    fabric.nodes[next(iter(fabric.nodes))].description = "node0002 HCA-1"
    with pytest.raises(NodeNotFound, match="names 2 nodes"):
        resolve_node(fabric, "node0002 HCA-1")


def test_a_misspelt_name_suggests_the_close_ones(fabric):
    with pytest.raises(NodeNotFound) as err:
        resolve_node(fabric, "leaf1")  # the operator meant leaf01
    assert str(err.value).endswith("(give a host name, NodeDescription, GUID or LID); "
                                   "did you mean leaf01?"), str(err.value)
    with pytest.raises(NodeNotFound) as err:
        resolve_node(fabric, "no-such-host")  # nothing close: no suggestion
    assert "did you mean" not in str(err.value)
    with pytest.raises(NodeNotFound) as err:
        resolve_node(fabric, "node2")  # zero padding: node0002, not node0012 or node0020
    assert str(err.value).endswith("did you mean node0002?"), str(err.value)
