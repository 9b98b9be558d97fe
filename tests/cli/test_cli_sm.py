"""``ibviz sm`` as a user runs it, and its dump files beside the real OpenSM's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, corpus_file
from ibviz.core.model import NodeKind, PortRef
from ibviz.core.sm._guid2lid import parse_guid2lid
from ibviz.topology import open_fabric

SPEC = "leaf-spine:hcas=40,hcas_per_leaf=5,spines=3,switch_ports=12"
FILES = ("guid2lid", "opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-subnet.lst")


def ibviz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ibviz", "sm", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120)


def test_summary_with_failures_named_every_way(tmp_path):
    fabric = open_fabric(SPEC)
    node4 = next(n for n in fabric.cas() if n.description.startswith("node0004"))
    spine = next(n for n in fabric.switches() if n.name == "spine01")
    out = ibviz(SPEC, "--fail", "node0004", "--fail", spine.description, "--dump",
                str(tmp_path / "a"))
    assert out.returncode == 0, out.stderr
    assert "sweep 1    initial sweep: routed afresh; 561 LFT entries" in out.stdout
    assert re.search(r"sweep 2 .*node0004 HCA-1 failed: kept valid entries", out.stdout)
    assert re.search(r"sweep 3 .*spine01.* failed: kept valid entries", out.stdout)
    first = (tmp_path / "a" / "opensm-lfts.dump").read_text()
    g2l = parse_guid2lid((tmp_path / "a" / "guid2lid").read_text())[0]
    lid = f"{g2l[node4.ports[1].guid][0]}"
    for how in (f"0x{node4.guid:016x}", f"0x{node4.ports[1].guid:x}", lid, f"lid:{lid}"):
        again = ibviz(SPEC, "--fail", how, "--fail", f"guid:{spine.guid:x}", "--dump",
                      str(tmp_path / "b"))
        assert again.returncode == 0, again.stderr
        assert (tmp_path / "b" / "opensm-lfts.dump").read_text() == first, how


def test_bad_input_exits_2_with_one_line():
    out = ibviz(SPEC, "--fail", "no-such-host")
    assert out.returncode == 2
    assert out.stderr.strip() == ("ibviz sm: error: no node 'no-such-host' in fabric "
                                  f"'{SPEC}' (give a host name, NodeDescription, GUID or LID)")
    out = ibviz(SPEC, "--routing", "lash")
    assert out.returncode == 2 and "unknown routing algorithm 'lash'" in out.stderr
    out = ibviz(SPEC, "--routing", "ftree")  # OpenSM's ftree engine (issue 14 item 1)
    assert out.returncode == 0 and "routing ftree" in out.stdout
    out = ibviz("no-such-file.topo")
    assert out.returncode == 2 and out.stderr.startswith("ibviz sm: error:")
    out = ibviz(SPEC, "--sm-port", "node0001:1", "--fail", "node0001")
    assert out.returncode == 2 and "the SM runs on node0001 HCA-1" in out.stderr


def test_updn_without_root_says_it_fell_back():
    out = ibviz("torus:dims=3x3,hcas_per_switch=2", "--routing", "updn")
    assert out.returncode == 0, out.stderr
    assert "fell back to minhop" in out.stdout


def test_a_fabric_file_keeps_its_lids(tmp_path):
    path = corpus_file("ibnetdiscover-man-voltaire-sdr-lmc1.topo")
    fabric = open_fabric(str(path))
    theirs = {p.guid or n.guid: (p.lid, p.lid + (1 << p.lmc) - 1)
              for n in fabric.nodes.values() for p in n.lid_ports() if p.lid}
    out = ibviz(str(path), "--lmc", "1", "--dump", str(tmp_path))
    assert out.returncode == 0, out.stderr
    ours = parse_guid2lid((tmp_path / "guid2lid").read_text())[0]
    kept = {g: r for g, r in theirs.items() if g in ours and ours[g][0] == r[0]}
    assert len(kept) == len(theirs) > 0


# --------------------------------------------------------------- the real OpenSM (realtools)
def _normal(name: str, text: str) -> str:
    """Rev: is ibsim's constant 0xA1, not the fabric's revision: the one legit difference."""
    return re.sub(r"Rev:[0-9A-F]{8}", "Rev:-", text) if name == "opensm-subnet.lst" else text


@pytest.mark.realtools
@pytest.mark.slow
@pytest.mark.parametrize("spec, routing, lmc, fail", [
    ("leaf-spine:hcas=8,hcas_per_leaf=4,spines=1,switch_ports=8", "minhop", 0, []),
    (SPEC, "minhop", 1, ["node0004", "spine02"]),
    ("fat-tree:k=3,n=3", "updn", 0, ["node0006"]),
    ("fat-tree:k=4,n=3", "minhop", 0, []),  # > 66 guid2lid entries: the st table rehashes
    ("torus:dims=3x3,hcas_per_switch=2", "updn", 2, ["node0003"]),
    ("torus:dims=4x4,hcas_per_switch=2", "minhop", 0, ["sw-x1-y1", "node0007"]),
    ("fat-tree:k=4,n=3", "updn", 1, ["node0005", "0x0002c90400000010"]),
])
def test_dumps_equal_the_real_opensms(spec, routing, lmc, fail, tmp_path: Path):
    from ibviz.backends._proc import MissingToolsError, check_tools
    from ibviz.backends.sm_compare import opensm_stages
    from ibviz.core.resolve import resolve_node

    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
    fabric = open_fabric(spec)
    sm = PortRef(min(n.guid for n in fabric.nodes.values() if n.kind is NodeKind.CA), 1)
    events = [("fail", resolve_node(fabric, f)) for f in fail]
    opensm_stages(fabric, tmp_path / "osm", sm, events, ("-R", routing, "-l", str(lmc)),
                  keep=tmp_path / "real")
    args = [spec, "--routing", routing, "--lmc", str(lmc), "--sm-port", "node0001:1",
            "--dump", str(tmp_path / "ours")]
    out = ibviz(*args, *[a for f in fail for a in ("--fail", f)])
    assert out.returncode == 0, out.stderr
    for name in FILES:
        real = (tmp_path / "real" / name).read_text()
        ours = (tmp_path / "ours" / name).read_text()
        assert _normal(name, ours) == _normal(name, real), name


def test_the_bar_moves_during_the_first_sweep(monkeypatch, capsys) -> None:
    """ftree at 12k nodes routes for tens of seconds: the terminal's bar moves during the
    first sweep instead of sitting at 0% until it ends."""
    import io
    import itertools
    from types import SimpleNamespace

    from ibviz.cli import progress, sm
    from ibviz.cli.main import main

    frames = io.StringIO()
    clock = itertools.count(0.0, 1.0)  # every draw is a second after the last one
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    monkeypatch.setattr(sm, "ProgressBar",
                        lambda label: progress.ProgressBar(label, stream=frames, force=True))
    assert main(["sm", "fat-tree:k=8,n=3", "--routing", "ftree"]) == 0
    shown = [float(m) for m in re.findall(r"sweeping \[[#-]+\] +([\d.]+)%", frames.getvalue())]
    assert len([p for p in shown if 0 < p < 100]) >= 3, shown
    assert shown == sorted(shown) and shown[-1] == 100.0
    assert "routed afresh" in capsys.readouterr().out
