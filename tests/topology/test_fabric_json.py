import json
import tempfile
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, corpus_file
from ibviz.core import Fabric, LinkSpeed, LinkWidth, Node, NodeKind, PortRef
from ibviz.core.diff import diff_fabrics
from ibviz.topology import dumps, load
from ibviz.topology.ibnetdiscover import parse_ibnetdiscover, set_cabled_states
from ibviz.topology.json_format import fabric_to_dict

SCHEMA = json.loads((REPO / "resources" / "schema" / "fabric-v1.schema.json").read_text())


def test_written_json_validates_against_the_published_schema():
    f = load(corpus_file("ibnetdiscover-man-voltaire-sdr-lmc1.topo"))
    jsonschema.validate(fabric_to_dict(f), SCHEMA)


@st.composite
def fabrics(draw) -> Fabric:
    """Random fabrics: switches, multi-port CAs, routers, parallel and loopback cables."""
    f = Fabric("random")
    n_sw = draw(st.integers(1, 4))
    n_ca = draw(st.integers(0, 6))
    n_rt = draw(st.integers(0, 2))
    guid = 0x0002C90300000000
    descs = st.text(st.characters(min_codepoint=32, max_codepoint=126,
                                  blacklist_characters='"'), max_size=20)
    for i in range(n_sw):
        node = Node(guid + 0x100 * i + 0x10000, NodeKind.SWITCH, draw(st.integers(4, 36)),
                    draw(descs), enhanced_port0=draw(st.sampled_from([True, False, None])),
                    vendor_id=0x2C9, device_id=0xD2F0, system_guid=draw(st.sampled_from([0, 7])))
        f.add_node(node)
    for i in range(n_ca + n_rt):
        kind = NodeKind.CA if i < n_ca else NodeKind.ROUTER
        nports = draw(st.integers(1, 2))
        g = guid + 0x100 * i
        node = Node(g, kind, nports, draw(descs), vendor_id=0x2C9)
        for p in range(1, nports + 1):
            node.ports[p].guid = g + p
        f.add_node(node)
    free = [PortRef(n.guid, p) for n in f.nodes.values() for p in n.ports if p > 0]
    order = draw(st.permutations(free))
    widths, speeds = list(LinkWidth), list(LinkSpeed)
    for a, b in zip(order[0::2], order[1::2], strict=False):
        if draw(st.booleans()) and a != b:
            f.connect(a, b, draw(st.sampled_from(widths)), draw(st.sampled_from(speeds)))
    lid = 1
    for node in sorted(f.nodes.values(), key=lambda n: n.guid):
        for p in node.lid_ports():
            if draw(st.booleans()):
                lmc = 0 if node.is_switch else draw(st.integers(0, 2))
                lid = (lid + (1 << lmc) - 1) & ~((1 << lmc) - 1)
                p.lid, p.lmc = lid, lmc
                lid += 1 << lmc
    set_cabled_states(f)
    return f


def _uncabled(fabric: Fabric, guid: int, where: str) -> bool:
    port = int(where.split("[")[1].split("]")[0])
    return fabric.peer(PortRef(guid, port)) is None


@settings(max_examples=40, deadline=None)
@given(fabrics())
def test_random_fabrics_round_trip_through_every_writer(fabric):
    jsonschema.validate(fabric_to_dict(fabric), SCHEMA)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.json"
        path.write_text(dumps(fabric, "json"))
        assert load(path) == fabric  # nodes, links and subnets
        # ibnetdiscover lists only cabled ports: everything else must survive exactly
        path = Path(tmp) / "f.topo"
        path.write_text(dumps(fabric, "ibnetdiscover"))
        again = load(path, "ibnetdiscover")
        d = diff_fabrics(fabric, again)
        assert not (d.nodes_added or d.nodes_removed or d.links_added or d.links_removed
                    or d.links_changed)
        for guid, changes in d.nodes_changed.items():
            for c in changes:
                assert c.where.startswith("port[") and _uncabled(fabric, guid, c.where), c
        path.write_text(dumps(again, "ibnetdiscover"))  # and from there on it is exact
        assert diff_fabrics(again, load(path, "ibnetdiscover")).is_empty
        path = Path(tmp) / "f.net"
        path.write_text(dumps(fabric, "ibsim"))
        d = diff_fabrics(fabric, parse_ibnetdiscover(path, "ibsim"))
        assert not (d.nodes_added or d.nodes_removed or d.links_added or d.links_removed)


def test_master_sm_survives_json(tmp_path):
    f = load(corpus_file("ibutils-opensm-subnet.lst"))
    assert f.master_sm is not None
    path = tmp_path / "f.json"
    path.write_text(dumps(f, "json"))
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)
    assert load(path).master_sm == f.master_sm
