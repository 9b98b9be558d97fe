"""Every file of the public corpus (../shared/fabrics/public) loads or is refused precisely."""

from pathlib import Path

import pytest

from conftest import SHARED_PUBLIC, corpus_file
from ibviz.core import NodeKind
from ibviz.core.diff import diff_fabrics
from ibviz.topology import dumps, load
from ibviz.topology.errors import NotATopologyError
from ibviz.topology.ibnetdiscover import parse_ibnetdiscover
from ibviz.topology.json_format import parse_json

# file -> (format, switches, CAs, links, warning kinds that must be present)
TOPOLOGIES = {
    "ibnetdiscover-man-voltaire-sdr-lmc1.topo": ("ibnetdiscover", 2, 4, 7,
                                                 {"link-mismatch", "degraded-link"}),
    "ibtopotool-nvidia-ufm-lab-edr-fdr-loopback.topo": ("ibnetdiscover", 2, 6, 10,
                                                        {"tool-message", "degraded-link"}),
    "ibtopotool-oracle-sundcs-whitespace-sep.topo": ("ibnetdiscover", 1, 1, 1, set()),
    "ibtopotool-fujitsu-bx900-switches-only.topo": ("ibnetdiscover", 2, 20, 25,
                                                    {"undeclared-node"}),
    "loginoff-stage-cluster-qdr-fdr10.topo": ("ibnetdiscover", 8, 144, 192, set()),
    "hyungkwang-edr-sharp-anon-crlf.txt": ("ibnetdiscover", 4, 8, 12, set()),
    "hyungkwang-hdr-quantum-lid0-loopback-crlf.txt": ("ibnetdiscover", 60, 2, 807,
                                                      {"lid0-peer", "degraded-link"}),
    "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt": ("ibnetdiscover", 206, 1336, 3572,
                                                     {"preamble"}),
    "hyungkwang-cs7500-edr-lassen.txt": ("ibnetdiscover", 174, 1644, 3443, set()),
    "hyungkwang-ibdiagnet-cs8500-hdr.ibnetdiscover": ("ibnetdiscover", 192, 1182, 4144,
                                                      {"switchguid-mismatch"}),
    "garyli-ndr-quantum2.ibdiagnet2.ibnetdiscover": ("ibnetdiscover", 9, 263, 271, set()),
    "ibflitsim-ibnetdiscover-fdr-2node.out": ("ibnetdiscover", 1, 2, 2, set()),
    "ibsim-net.net": ("ibsim", 2, 2, 4, set()),
    "ibsim-net.2sw2path4hca2port.net": ("ibsim", 2, 2, 6, set()),
}
STATE_FILES = {
    "ibutils-opensm.fdbs": "OpenSM unicast routing dump",
    "ibflitsim-ibdiagnet-unreachable.fdbs": "OpenSM unicast routing dump",
    "ibsim-tutorial-ibroute-unicast.excerpt.txt": "ibroute output",
    "ukharon-ibroute-M-msb7700.excerpt.txt": "ibroute -M output",
    "ukharon-saquery-g-mcmemberrecord.excerpt.txt": "saquery MCMemberRecord output",
}
OTHER_TOPOLOGIES = {
    "treydock-ibnetdiscover-p-edr.out": "ibnetdiscover-ports",
    "treydock-ibnetdiscover-p-hdr-sharp.out": "ibnetdiscover-ports",
    "treydock-ibnetdiscover-p-unquoted.out": "ibnetdiscover-ports",
    "ibutils-opensm-subnet.lst": "opensm-subnet-lst",
    "garyli-ndr-quantum2.ibdiagnet2.lst": "opensm-subnet-lst",
    "linpack-iblinkinfo-sb7700-edr.excerpt.txt": "iblinkinfo",
    "blogpost-iblinkinfo-hdr-quantum-sharp.excerpt.txt": "iblinkinfo",
    "garyli-ndr-quantum2.ibdiagnet2.db_csv": "ibdiagnet-csv",
}


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_topology_files_load_with_exact_counts(name):
    fmt, switches, cas, links, warn_kinds = TOPOLOGIES[name]
    f = load(corpus_file(name))
    assert f.source_format == fmt
    assert (f.count(NodeKind.SWITCH), f.count(NodeKind.CA), len(f.links)) == (switches, cas, links)
    assert warn_kinds <= {w.kind for w in f.warnings}
    # every cable joins two existing ports, each port has at most one cable
    for link in f.links.values():
        assert f.peer(link.a) == link.b and f.peer(link.b) == link.a


@pytest.mark.parametrize("name", sorted(STATE_FILES))
def test_state_dumps_are_recognised_and_refused_precisely(name):
    with pytest.raises(NotATopologyError) as err:
        load(corpus_file(name))
    text = str(err.value)
    assert name in text and ":1:" in text and STATE_FILES[name] in text
    assert "not a fabric topology" in text


@pytest.mark.parametrize("name", sorted(OTHER_TOPOLOGIES))
def test_other_topology_formats_are_detected_and_load(name):
    f = load(corpus_file(name))
    assert f.source_format == OTHER_TOPOLOGIES[name]
    assert f.nodes


def test_every_corpus_file_is_covered(corpus: Path):
    names = {p.name for p in corpus.iterdir() if p.name != "SOURCES.md"}
    known = set(TOPOLOGIES) | set(STATE_FILES) | set(OTHER_TOPOLOGIES)
    assert names <= known, f"new corpus files without a test: {sorted(names - known)}"


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_round_trip_ibnetdiscover_and_json_are_exact(name, tmp_path):
    original = load(corpus_file(name))
    for fmt in ("ibnetdiscover", "json"):
        out = tmp_path / f"out.{fmt}"
        out.write_text(dumps(original, fmt))
        again = parse_json(out) if fmt == "json" else parse_ibnetdiscover(out)
        d = diff_fabrics(original, again)
        assert d.is_empty, f"{fmt}: {d.summary()}"


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_round_trip_ibsim_loses_only_what_ibsim_cannot_carry(name, tmp_path):
    original = load(corpus_file(name))
    out = tmp_path / "out.net"
    out.write_text(dumps(original, "ibsim"))
    again = parse_ibnetdiscover(out, "ibsim")
    d = diff_fabrics(original, again)
    assert not (d.nodes_added or d.nodes_removed or d.links_added or d.links_removed)
    allowed = {"system_guid", "description"}  # ibsim: system GUID 0 -> node GUID; no '"'
    for guid, changes in d.nodes_changed.items():
        for c in changes:
            if c.where == "system_guid":
                assert c.old == 0 and c.new == guid
            elif c.where == "description":
                assert c.old.replace('"', "'") == c.new
            else:
                assert c.where.endswith(".label"), f"unexpected change {c}"
        assert {c.where.split(".")[-1] if "." in c.where else c.where for c in changes} <= \
            allowed | {"label"}
    assert not d.links_changed or all(
        ch.where == "speed" for chs in d.links_changed.values() for ch in chs)


def test_corpus_directory_is_where_the_tests_expect():
    assert SHARED_PUBLIC.name == "public"
