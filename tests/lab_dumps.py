"""Real OpenSM dump directories written by the lab, for tests that read dumps: ibsim runs
a generated fabric, the real OpenSM routes it, hosts join groups through its SA, and
OpenSM's own files are copied once the SA dump lists every member.

>>> directory = opensm_dumps(tmp_path, "leaf-spine:hcas=32,hcas_per_leaf=8,spines=2",
...                          {"ff12:1::1": ("node0001", "node0009")})

Callers skip when the tools are missing (:func:`need_tools`).
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path

import pytest

DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-sa.dump",
         "opensm-subnet.lst", "guid2lid")


def need_tools() -> None:
    from ibviz.backends.ibsim_process import MissingToolsError, check_tools

    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")


def opensm_dumps(work: Path, spec: str, groups: dict[str, tuple[str, ...]],
                 sm_host: str = "leaf01") -> Path:
    """``work/dumps``: OpenSM's dumps of fabric ``spec`` (OpenSM on ``sm_host``) with
    ``groups`` (MGID -> hosts that join it as full members) joined."""
    from ibviz.backends.ibsim_process import IbsimFabric
    from ibviz.backends.opensm_process import OpenSm
    from ibviz.backends.umad_client import SaClient
    from ibviz.core.sm.records import McMemberRecord
    from ibviz.core.sm.sa_battery import CREATE
    from ibviz.topology import dumps, open_fabric

    need_tools()
    net = work / "fabric.net"
    net.write_text(dumps(open_fabric(spec), "ibsim"))
    fab = IbsimFabric(net).start()
    try:
        sm = OpenSm(fab, sm_host, sweep=1, sa_db_dump=True).start()
        try:
            for mgid, hosts in groups.items():
                for host in hosts:
                    with SaClient(fab, host) as client:
                        rec = McMemberRecord(mgid=int(ipaddress.IPv6Address(mgid)),
                                             port_gid=client.port_gid, qkey=0x12345,
                                             pkey=0xFFFF, join_state=1)
                        status, _ = client.send(2, rec, CREATE)
                        assert status == 0, f"{host} could not join {mgid}: status {status}"
            members = sum(len(h) for h in groups.values())
            deadline = time.monotonic() + 30  # the SA dump is written after a light sweep
            while sm.read_stable(sm.sa_dump_path).count("mcm_port") < members:
                assert time.monotonic() < deadline, "opensm-sa.dump never listed the members"
                time.sleep(0.1)
            sm.wait_mcfdbs(lambda t: len({m for e in t.values() for m in e}) >= len(groups),
                           timeout=20)
            out = work / "dumps"
            out.mkdir()
            for name in DUMPS:
                (out / name).write_text(sm.read_stable(sm.dir / name))
            return out
        finally:
            sm.stop()
    finally:
        fab.stop()
