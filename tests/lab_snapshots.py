"""Two snapshots of a real OpenSM's dump directory for the window tests: the lab's
leaf-spine fabric under ibsim, groups joined through OpenSM's SA, before and after
node0001 fails (ibsim ``Unlink``; OpenSM re-sweeps and its SA drops the member).

Each directory holds OpenSM's own files as it wrote them (``opensm-lfts.dump``,
``opensm.fdbs``, ``opensm.mcfdbs``, ``opensm-sa.dump``, ``opensm-subnet.lst``,
``guid2lid``) and its log ``opensm.log``. Without the Debian tools the caller skips.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPEC = "leaf-spine:hcas=32,hcas_per_leaf=8,spines=2"
GROUPS = {"ff12:1::1": ("node0001", "node0009", "node0017", "node0025"),
          "ff12:1::2": ("node0002", "node0003")}
DUMPS = ("opensm-lfts.dump", "opensm.fdbs", "opensm.mcfdbs", "opensm-sa.dump",
         "opensm-subnet.lst", "guid2lid", "opensm.log")
LEAF01 = 0x0002_C904_0000_0000
FAILED = "node0001"


class ToolsMissing(RuntimeError):
    """The Debian packages (opensm, ibsim) are not installed: the caller skips."""


def _copy(sm, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in DUMPS:
        (directory / name).write_text(sm.read_stable(sm.dir / name))


def _wait(what: str, ready, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.1)


@contextlib.contextmanager
def running_lab(work: Path) -> Iterator[tuple[Any, Any]]:
    """The fabric under ibsim with the real OpenSM at leaf01 (sweeping every second), the
    groups joined through its SA and in its dumps: yields (IbsimFabric, OpenSm)."""
    from ibviz.backends.ibsim_process import IbsimFabric, MissingToolsError, check_tools
    from ibviz.backends.opensm_process import OpenSm
    from ibviz.backends.umad_client import SaClient
    from ibviz.core.sm.records import McMemberRecord
    from ibviz.core.sm.sa_battery import CREATE
    from ibviz.topology import dumps, open_fabric

    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        raise ToolsMissing(str(exc)) from None
    net = work / "fabric.net"
    net.write_text(dumps(open_fabric(SPEC), "ibsim"))
    members = sum(len(h) for h in GROUPS.values())
    with IbsimFabric(net) as fab:
        sm = OpenSm(fab, "leaf01", sweep=1, sa_db_dump=True).start()
        try:
            for mgid, hosts in GROUPS.items():
                for host in hosts:
                    with SaClient(fab, host) as client:
                        rec = McMemberRecord(mgid=int(ipaddress.IPv6Address(mgid)),
                                             port_gid=client.port_gid, qkey=0x12345,
                                             pkey=0xFFFF, join_state=1)
                        status, _ = client.send(2, rec, CREATE)
                        assert status == 0, f"{host} could not join {mgid}"
            sm.wait_mcfdbs(lambda t: sum(len(e) for e in t.values()) == 6)
            _wait("opensm-sa.dump listing the members", lambda: sm.read_stable(
                sm.sa_dump_path).count("mcm_port") >= members)
            yield fab, sm
        finally:
            sm.stop()


def fail_host(fab: Any, sm: Any) -> None:
    """Unlink :data:`FAILED` on the ibsim console; wait until OpenSM dropped it (MFTs
    and the SA dump)."""
    members = sum(len(h) for h in GROUPS.values())
    fab.console(f'Unlink "{FAILED}"')
    sm.wait_mcfdbs(lambda t: 0xC001 not in t.get(LEAF01, {}))
    _wait("opensm-sa.dump dropping the failed member", lambda: sm.read_stable(
        sm.sa_dump_path).count("mcm_port") <= members - 1)


def make_snapshots(work: Path) -> tuple[Path, Path]:
    """Write ``work/before`` and ``work/after`` (see the module docstring); the after
    directory's files are dated one minute later, as a later snapshot's would be."""
    with running_lab(work) as (fab, sm):
        _copy(sm, work / "before")
        fail_host(fab, sm)
        _copy(sm, work / "after")
    later = time.time() + 60
    for path in (work / "after").iterdir():
        os.utime(path, (later, later))
    return work / "before", work / "after"


if __name__ == "__main__":  # python3 tests/lab_snapshots.py DIR: keep a pair by hand
    import sys

    print(make_snapshots(Path(sys.argv[1])))
