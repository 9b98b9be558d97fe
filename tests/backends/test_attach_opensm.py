"""The state readers and RealFabric against the real OpenSM on ibsim (fig8 fabric): OpenSM's
own dump files, the real ibroute / ibroute -M / dump_fts / saquery / iblinkinfo / sminfo
under umad2sim, and live mode following an Unlink done on the ibsim console.

Fabric: switch-1 ports 1-3: first-node (A), second-node (B), sender; port 4 to switch-2,
whose port 1 is sender-2 (D). A, B and D join ff12:1::1; OpenSM runs at switch-1.
"""

from __future__ import annotations

import argparse
import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ibviz.backends._proc import which_tool
from ibviz.backends.attach import LiveTools, RealFabric
from ibviz.backends.ibsim_process import IbsimFabric, MissingToolsError, check_tools
from ibviz.backends.opensm_process import OpenSm
from ibviz.backends.umad_client import SaClient
from ibviz.cli.attach import add_parser
from ibviz.core import events as ev
from ibviz.core.model import PortRef
from ibviz.core.sm.records import McMemberRecord
from ibviz.core.sm.sa_battery import CREATE
from ibviz.topology import dumps, open_fabric
from ibviz.topology.state import NO_PORT, FabricState, load_state, load_state_dir, parse_state

pytestmark = pytest.mark.realtools

SW1, SW2 = 0x0002_C904_0000_0000, 0x0002_C904_0000_0001
A, B, D = 0x0002_C903_0000_0001, 0x0002_C903_0000_0011, 0x0002_C903_0000_0031
D_NODE = 0x0002_C903_0000_0030
MGID = int(ipaddress.IPv6Address("ff12:1::1"))
MEMBERS = ("first-node", "second-node", "sender-2")
TOOLS = {"ibroute-1": ["ibroute", "1"], "ibroute-2": ["ibroute", "2"],
         "ibroute-M-1": ["ibroute", "-M", "1"], "ibroute-M-2": ["ibroute", "-M", "2"],
         "dump_fts": ["dump_fts"], "dump_fts-M": ["dump_fts", "-M"],
         "saquery-g": ["saquery", "-g"], "saquery-m": ["saquery", "--smkey", "1", "-m"],
         "iblinkinfo": ["iblinkinfo"], "sminfo": ["sminfo"]}
DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-sa.dump",
         "opensm-subnet.lst", "guid2lid")


@dataclass
class Lab:
    fabric: IbsimFabric
    sm: OpenSm
    outputs: dict[str, str]
    dumps: Path


def _require_tools() -> None:
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
    for tool in ("ibroute", "dump_fts", "saquery", "sminfo", "iblinkinfo"):
        if which_tool(tool) is None:
            pytest.skip(f"{tool} not installed (apt-get install infiniband-diags)")


def _join_group(fab: IbsimFabric, sm: OpenSm, wait_for_dump: bool = True) -> None:
    for host in MEMBERS:
        with SaClient(fab, host) as client:
            status, _ = client.send(2, McMemberRecord(mgid=MGID, port_gid=client.port_gid,
                                                      qkey=0x12345, pkey=0xFFFF, join_state=1),
                                    CREATE)
            assert status == 0
    sm.wait_mcfdbs(lambda t: t == {SW1: {0xC001: (1, 2, 4)}, SW2: {0xC001: (1, 4)}})
    if not wait_for_dump:
        return
    deadline = time.monotonic() + 15  # the SA dump is written at the end of a light sweep
    while sm.read_stable(sm.sa_dump_path).count("mcm_port") < 3:
        assert time.monotonic() < deadline, "opensm-sa.dump never listed the members"
        time.sleep(0.1)


def _start(directory: Path):
    _require_tools()
    net = directory / "fig8.net"
    net.write_text(dumps(open_fabric("fig8"), "ibsim"))
    fab = IbsimFabric(net).start()
    try:
        sm = OpenSm(fab, "switch-1", sweep=1, sa_db_dump=True).start()
    except BaseException:
        fab.stop()
        raise
    return fab, sm


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    fab, sm = _start(tmp_path_factory.mktemp("attach-lab"))
    try:
        _join_group(fab, sm)
        outputs = {}
        for name, argv in TOOLS.items():
            res = fab.run_client(argv, sim_host="switch-1", timeout=30)
            assert res.returncode == 0, res.stderr
            outputs[name] = res.stdout
        copy = tmp_path_factory.mktemp("attach-dumps")
        for name in DUMPS:
            (copy / name).write_text(sm.read_stable(sm.dir / name))
        yield Lab(fab, sm, outputs, copy)
    finally:
        sm.stop()
        fab.stop()


def attach_cli(*args: str) -> int:
    """``ibviz attach ARGS`` (the subcommand on its own parser, as ibviz.cli.main adds it)."""
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["attach", *args])
    return parsed.func(parsed)


def _parse(lab: Lab, name: str, fmt: str) -> FabricState:
    return parse_state(lab.outputs[name].splitlines(), fmt, name)


def test_opensm_dump_directory(lab):
    state = load_state_dir(lab.dumps)
    assert state.lids == {SW1: (1, 0), SW2: (2, 0), A: (3, 0), B: (4, 0),
                          0x0002_C903_0000_0021: (5, 0), D: (6, 0)}
    assert state.lfts[SW1].tolist() == [NO_PORT, 0, 4, 1, 2, 3, 4]
    assert state.lfts[SW2].tolist() == [NO_PORT, 4, 0, 4, 4, 4, 1]
    assert state.mfts == {SW1: {0xC001: frozenset({1, 2, 4})}, SW2: {0xC001: frozenset({1, 4})}}
    assert set(state.groups[MGID].member_guids()) == {A, B, D}
    assert state.groups[MGID].fields["qkey"] == 0x12345
    assert any(g.well_known and g.mlid == 0xC000 for g in state.groups.values())
    assert state.topology is not None and len(state.topology.nodes) == 6


def test_ibroute_and_dump_fts_agree_with_opensm_dumps(lab):
    lfts = FabricState()
    for name in ("ibroute-1", "ibroute-2"):
        lfts.merge(_parse(lab, name, "ibroute"))
    for file in ("opensm-lfts.dump", "opensm.fdbs"):
        dumped = load_state(lab.dumps / file)
        assert {g: t.tolist() for g, t in dumped.lfts.items()} == \
            {g: t.tolist() for g, t in lfts.lfts.items()}, file
    every = _parse(lab, "dump_fts", "ibroute")
    assert {g: t.tolist() for g, t in every.lfts.items()} == \
        {g: t.tolist() for g, t in lfts.lfts.items()}
    assert lfts.lids == load_state(lab.dumps / "guid2lid").lids


def test_ibroute_multicast_agrees_with_mcfdbs(lab):
    mcfdbs = load_state(lab.dumps / "opensm.mcfdbs").mfts
    per_switch = FabricState()
    for name in ("ibroute-M-1", "ibroute-M-2"):
        per_switch.merge(_parse(lab, name, "ibroute-mcast"))
    assert per_switch.mfts == mcfdbs == _parse(lab, "dump_fts-M", "ibroute-mcast").mfts


def test_saquery_and_sminfo_agree_with_the_sa_dump(lab):
    dumped = load_state(lab.dumps / "opensm-sa.dump").groups
    groups = _parse(lab, "saquery-g", "saquery-mcmember").groups
    assert {m: g.mlid for m, g in groups.items()} == {m: g.mlid for m, g in dumped.items()}
    assert groups[MGID].fields["pkey"] == dumped[MGID].fields["pkey"] == 0xFFFF
    members = _parse(lab, "saquery-m", "saquery-mcmember").groups[MGID].members
    # ibsim has no RMPP: saquery gets one MAD, which holds these three records
    assert members == dumped[MGID].members
    sm = _parse(lab, "sminfo", "sminfo").sm
    assert (sm.lid, sm.guid, sm.state) == (1, SW1, "MASTER")


def test_iblinkinfo_lids_agree_with_guid2lid(lab):
    lids = _parse(lab, "iblinkinfo", "iblinkinfo").lids
    assert lids == load_state(lab.dumps / "guid2lid").lids


def test_cli_attach_on_the_dump_directory(lab, capsys):
    assert attach_cli(str(lab.dumps), "--once") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("real fabric (read-only): opensm-subnet.lst: 2 switches, 4 CAs, "
                      "0 routers, 5 links")
    assert "  group ff12:1::1  MLID 0xc001  3 members, MFT entries on 2 switches" in out


def test_cli_attach_live_once(lab, capsys, monkeypatch):
    env = lab.fabric.client_env("switch-1")
    for key in ("IBSIM_SOCKNAME", "LD_PRELOAD", "SIM_HOST"):
        monkeypatch.setenv(key, env[key])
    assert attach_cli("--live", "--once", "--smkey", "1") == 0
    out = capsys.readouterr().out
    assert "2 switches, 4 CAs" in out and "SM LID 0x0001 MASTER" in out
    assert "group ff12:1::1  MLID 0xc001  3 members" in out


def test_live_mode_follows_an_unlink(tmp_path):
    fab, sm = _start(tmp_path)
    try:
        _join_group(fab, sm, wait_for_dump=False)  # live mode asks the SA itself
        tools = LiveTools(env=fab.client_env("switch-1"), sa_key=1)
        with RealFabric(live=True, tools=tools, interval=0.5) as backend:
            backend.start()
            assert backend.status().sm_state == "MASTER"
            assert backend.sm.mfts[SW2] == {0xC001: frozenset({1, 4})}
            assert len(backend.sm.sa.groups[MGID].members) == 3
            seen: list[ev.Event] = []
            backend.events.subscribe(ev.Event, seen.append)
            assert backend.poll() is False and seen == []
            fab.console('Unlink "sender-2"')
            sm.wait_mcfdbs(lambda t: t == {SW1: {0xC001: (1, 2)}})
            assert backend.poll() is True
            assert ev.LinkRemoved(PortRef(D_NODE, 1), PortRef(SW2, 1)) in seen or \
                ev.LinkRemoved(PortRef(SW2, 1), PortRef(D_NODE, 1)) in seen
            assert ev.NodeRemoved(D_NODE) in seen
            assert ev.MftChanged(SW1, 0xC001, frozenset({1, 2, 4}), frozenset({1, 2})) in seen
            assert ev.MftChanged(SW2, 0xC001, frozenset({1, 4}), frozenset()) in seen
            assert ev.MemberLeft(MGID, PortRef(D_NODE, 1), 0) in seen
            texts = [c.text for c in backend.changes]
            assert "node gone: sender-2 (remote peer) (0x0002c90300000030)" in texts
            assert "MFT of switch-1 MLID 0xc001: ports [1, 2, 4] -> [1, 2]" in texts
            workdir = backend._workdir
        assert workdir is not None and not workdir.exists()
    finally:
        sm.stop()
        fab.stop()
