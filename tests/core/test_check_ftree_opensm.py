"""``ibviz check`` on the real OpenSM 3.3.23's own dumps of a healthy 4-ary 3-tree routed
with ``-R ftree`` (under ibsim): OpenSM's ftree routes switch LIDs as secondary paths only,
and the gaps it leaves are the one ``switch-lid-unrouted`` warning, no error (as on the
dumps of ``ibviz sm --routing ftree``, tests/cli/test_check_ftree.py)."""

from __future__ import annotations

import json

import pytest
from ftree_fabrics import _wait_for_dump

from ibviz.cli.main import main
from ibviz.topology.generators import fat_tree

pytestmark = pytest.mark.realtools


def test_real_opensm_ftree_dumps_give_one_warning(tmp_path, capsys):
    from ibviz.backends._proc import MissingToolsError, check_tools
    from ibviz.backends.ibsim_process import IbsimFabric
    from ibviz.backends.opensm_process import OpenSm
    from ibviz.topology.ibnetdiscover_writer import format_ibnetdiscover, ibsim_node_ids

    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
    fabric = fat_tree(4, 3)
    net = tmp_path / "net"
    net.write_text(format_ibnetdiscover(fabric, flavour="ibsim"))
    sm = min(n.guid for n in fabric.cas())
    dump = tmp_path / "dump"
    dump.mkdir()
    with IbsimFabric(net, workdir=tmp_path / "sim") as sim, \
            OpenSm(sim, ibsim_node_ids(fabric)[sm], extra_args=["-R", "ftree"],
                   timeout=120) as osm:
        lfts = _wait_for_dump(osm, "", sum(1 for _ in fabric.switches()))
        (dump / "opensm-lfts.dump").write_text(lfts)
        (dump / "opensm-subnet.lst").write_text(osm.read_stable(osm.subnet_lst_path))
        assert "ftree tables configured on all switches" in osm.log_text()
    code = main(["check", str(dump), "--json"])
    found = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["kind"], p["severity"]) for p in found] == [("switch-lid-unrouted", "warning")]
    assert len(found[0]["nodes"]) == 32 and code == 1
