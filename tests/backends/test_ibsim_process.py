"""Tests for ibviz.backends.ibsim_process against the real ibsim / ibnetdiscover binaries."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ibviz.backends.ibsim_process import (
    IbsimError,
    IbsimFabric,
    MissingToolsError,
    check_tools,
    estimate_limits,
    find_umad2sim,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_tools() -> None:
    """Skip (with the apt-get fix in the reason) when the Debian packages are missing."""
    try:
        check_tools()
    except MissingToolsError as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")


real = pytest.mark.usefixtures("real_tools")

# -- a tiny fabric: 2 switches, 3 HCAs, written in ibnetdiscover syntax --------------------------
SW_PORT = 8


def guids(base: int) -> dict[str, int]:
    """Node GUIDs of the tiny fabric; ``base`` keeps two fabrics apart."""
    return {
        "sw1": base + 0x1000,
        "sw2": base + 0x2000,
        "h1": base + 0x3000,
        "h2": base + 0x4000,
        "h3": base + 0x5000,
    }


def name(g: dict[str, int], key: str) -> str:
    return f"{'S' if key.startswith('sw') else 'H'}-{g[key]:016x}"


# (node, port, node, port): HCA ports are port 1
CABLES = [("sw1", 1, "h1", 1), ("sw1", 2, "h2", 1), ("sw1", 7, "sw2", 7), ("sw1", 8, "sw2", 8),
          ("sw2", 3, "h3", 1)]  # fmt: skip


def write_net(path: Path, base: int) -> dict[str, int]:
    """Write the tiny fabric with explicit switchguid/caguid lines; return its node GUIDs."""
    g = guids(base)
    peers: dict[str, list[tuple[int, str, int]]] = {k: [] for k in g}
    for a, pa, b, pb in CABLES:
        peers[a].append((pa, b, pb))
        peers[b].append((pb, a, pa))
    out = []
    for key in g:
        is_sw = key.startswith("sw")
        kind, nports = ("Switch", SW_PORT) if is_sw else ("Ca", 1)
        out += ["vendid=0x2c9", f"devid={'0xb924' if is_sw else '0x673c'}"]
        out.append(f"sysimgguid=0x{g[key]:016x}")
        if is_sw:
            out.append(f"switchguid=0x{g[key]:016x}({g[key]:x})")
            out.append(
                f'Switch\t{nports} "{name(g, key)}"\t\t# "{key} desc" base port 0 lid 0 lmc 0'
            )
        else:
            out.append(f"caguid=0x{g[key]:016x}")
            out.append(f'Ca\t{nports} "{name(g, key)}"\t\t# "{key} desc"')
        for port, peer, pport in sorted(peers[key]):
            remote = f'"{name(g, peer)}"[{pport}]'
            if is_sw:
                out.append(f'[{port}]\t{remote}\t\t# "{peer} desc" lid 0 4xQDR')
            else:
                out.append(
                    f'[{port}]({g[key] + port:x})\t{remote}\t\t# lid 0 lmc 0 "x" lid 0 4xQDR'
                )
        out.append("")
    path.write_text("\n".join(out) + "\n")
    return g


PORT_RE = re.compile(r'^\[(\d+)\](?:\(([0-9a-f]+)\))?\s+"[SH]-([0-9a-f]{16})"\[(\d+)\]')


def parse_discover(text: str) -> tuple[dict[int, tuple[str, str]], set[frozenset], dict[int, int]]:
    """Parse ibnetdiscover's default output.

    Returns ``{node guid: (type, description)}``, the set of links (each a frozenset of two
    ``(node guid, port)``) and ``{CA node guid: port 1 GUID}``.
    """
    nodes: dict[int, tuple[str, str]] = {}
    links: set[frozenset] = set()
    port_guids: dict[int, int] = {}
    cur = 0
    for line in text.splitlines():
        if m := re.match(r"(?:switchguid|caguid)=0x([0-9a-f]+)", line):
            cur = int(m.group(1), 16)
        elif m := re.match(r'(Switch|Ca)\s+\d+\s+"[^"]*"\s+#\s+"([^"]*)"', line):
            nodes[cur] = (m.group(1), m.group(2))
        elif m := PORT_RE.match(line):
            lport, pguid, rguid, rport = m.groups()
            links.add(frozenset({(cur, int(lport)), (int(rguid, 16), int(rport))}))
            if pguid:
                port_guids[cur] = int(pguid, 16)
    return nodes, links, port_guids


def expected_links(g: dict[str, int]) -> set[frozenset]:
    return {frozenset({(g[a], pa), (g[b], pb)}) for a, pa, b, pb in CABLES}


def procs_with_sockname(sockname: str) -> list[int]:
    """Pids whose environment holds IBSIM_SOCKNAME=<sockname>."""
    needle = f"IBSIM_SOCKNAME={sockname}".encode()
    pids = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in env.read_bytes().split(b"\0"):
                pids.append(int(env.parent.name))
        except OSError:
            continue
    return pids


def socket_bound(sockname: str) -> bool:
    return f"@{sockname}:ctl" in Path("/proc/net/unix").read_text()


def assert_gone(sockname: str, workdir: Path | None) -> None:
    deadline = time.monotonic() + 5
    while (procs_with_sockname(sockname) or socket_bound(sockname)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert procs_with_sockname(sockname) == []
    assert not socket_bound(sockname)
    if workdir is not None:
        assert not workdir.exists()


# -- tests ----------------------------------------------------------------------------------------
@pytest.mark.realtools
@real
def test_ibnetdiscover_reports_net_file_guids_and_cabling(tmp_path: Path) -> None:
    g = write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    with IbsimFabric(tmp_path / "tiny.net") as fab:
        assert fab.running and socket_bound(fab.sockname)
        assert "tiny.net: parsed" in fab.startup_output
        assert "Network simulator ready." in fab.startup_output
        nodes, links, port_guids = parse_discover(fab.ibnetdiscover())
        assert nodes == {g[k]: ("Switch" if k.startswith("sw") else "Ca", f"{k} desc") for k in g}
        assert links == expected_links(g)
        assert port_guids == {g[h]: g[h] + 1 for h in ("h1", "h2", "h3")}
        # SIM_HOST picks the node the client is attached at
        out = fab.ibnetdiscover(sim_host=name(g, "h3"))
        assert f"# Initiated from node {g['h3']:016x}" in out


@pytest.mark.realtools
@real
def test_two_fabrics_side_by_side(tmp_path: Path) -> None:
    ga = write_net(tmp_path / "a.net", 0x0002C90000A00000)
    gb = write_net(tmp_path / "b.net", 0x0002C90000B00000)
    with IbsimFabric(tmp_path / "a.net") as fa, IbsimFabric(tmp_path / "b.net") as fb:
        assert fa.sockname != fb.sockname and fa.workdir != fb.workdir
        for fab, g in ((fa, ga), (fb, gb), (fa, ga)):
            nodes, links, _ = parse_discover(fab.ibnetdiscover())
            assert set(nodes) == set(g.values())
            assert links == expected_links(g)


@pytest.mark.realtools
@real
def test_console_unlink_removes_one_link(tmp_path: Path) -> None:
    g = write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    with IbsimFabric(tmp_path / "tiny.net") as fab:
        before = parse_discover(fab.ibnetdiscover())[1]
        assert fab.console(f'Unlink "{name(g, "sw1")}"[7]') == ""
        after = parse_discover(fab.ibnetdiscover())[1]
        assert len(after) == len(before) - 1
        assert before - after == {frozenset({(g["sw1"], 7), (g["sw2"], 7)})}
        dump = fab.console(f'Dump "{name(g, "sw2")}"')
        assert f'Switch {SW_PORT} "{name(g, "sw2")}"' in dump and "sim> " not in dump
        assert "unknown" in fab.console("Nonsense")
        assert fab.console("Help").startswith("sim> Commands:")  # Help prints a prompt itself
        assert fab.console("Quit").startswith("Exiting network simulator.")
        assert not fab.running
        with pytest.raises(IbsimError, match="not running"):
            fab.ibnetdiscover()


@pytest.mark.realtools
@real
def test_syntax_error_raises_with_ibsim_message(tmp_path: Path) -> None:
    net = tmp_path / "bad.net"
    net.write_text('switchguid=0x1000\nSwitch\t8 "S-1"\n[99]\t"H-2"[1]\n')
    fab = IbsimFabric(net)
    with pytest.raises(IbsimError) as info:
        fab.start()
    msg = str(info.value)
    assert "fatal: error at" in msg and "bad.net: line 3" in msg
    assert "bad port num 99" in msg
    assert_gone(fab.sockname, fab.workdir)


@pytest.mark.realtools
@real
def test_miscabled_net_file_raises(tmp_path: Path) -> None:
    net = tmp_path / "miscabled.net"
    net.write_text('switchguid=0x1000\nSwitch\t4 "S-1"\n[1]\t"H-nowhere"[1]\n')
    with pytest.raises(IbsimError, match='can\'t find remote node "H-nowhere"'):
        IbsimFabric(net).start()


@pytest.mark.realtools
@real
def test_duplicate_socket_name_detected(tmp_path: Path) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    with IbsimFabric(tmp_path / "tiny.net") as fa:
        fb = IbsimFabric(tmp_path / "tiny.net")
        fb.sockname = fa.sockname
        with pytest.raises(IbsimError, match="Address already in use"):
            fb.start()
        assert fa.running and parse_discover(fa.ibnetdiscover())[1]


@pytest.mark.realtools
@real
@pytest.mark.parametrize("exc_type", [None, RuntimeError, KeyboardInterrupt])
def test_nothing_survives_the_with_block(tmp_path: Path, exc_type: type | None) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    fab = IbsimFabric(tmp_path / "tiny.net")
    try:
        with fab:
            assert procs_with_sockname(fab.sockname) == [fab.pid]
            assert fab.workdir is not None and fab.workdir.name.startswith("ibviz-ibsim-")
            fab.ibnetdiscover()
            if exc_type is not None:
                raise exc_type("boom")
    except (RuntimeError, KeyboardInterrupt) as exc:
        assert type(exc) is exc_type
    assert_gone(fab.sockname, fab.workdir)
    fab.stop()  # idempotent


@pytest.mark.realtools
@real
def test_given_workdir_is_kept(tmp_path: Path) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    work = tmp_path / "work"
    with IbsimFabric(tmp_path / "tiny.net", workdir=work) as fab:
        fab.ibnetdiscover()
        fab.ibnetdiscover()
        assert len(list(work.glob("client-*"))) == 2  # one fresh scratch dir per client
    assert work.is_dir()
    assert_gone(fab.sockname, None)


@pytest.mark.realtools
@real
def test_atexit_stops_a_forgotten_fabric(tmp_path: Path) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    script = textwrap.dedent(
        f"""
        from ibviz.backends.ibsim_process import IbsimFabric
        fab = IbsimFabric({str(tmp_path / "tiny.net")!r}).start()
        print(fab.sockname, fab.workdir, flush=True)
        raise SystemExit(3)  # never calls stop()
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), *sys.path]))
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    assert res.returncode == 3, res.stderr
    sockname, workdir = res.stdout.split()
    assert_gone(sockname, Path(workdir))


def cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def assert_idle(pid: int, seconds: float = 0.5) -> None:
    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_ticks(pid)
    time.sleep(seconds)
    assert (cpu_ticks(pid) - before) / hz < seconds * 0.3, "ibsim is spinning"


@pytest.mark.realtools
@real
def test_idle_ibsim_does_not_spin(tmp_path: Path) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    with IbsimFabric(tmp_path / "tiny.net") as fab:
        fab.ibnetdiscover()
        assert fab.pid is not None
        assert_idle(fab.pid)


@contextlib.contextmanager
def _orphan(tmp_path: Path, keep_watchdog: bool) -> Iterator[tuple[str, int]]:
    """Start ibsim from a child process that then dies without cleaning up (like SIGKILL);
    without ``keep_watchdog`` it first kills its watchdog (and waits for it to be gone).
    Yields the orphan's (sockname, pid); afterwards removes its work directory and kills
    it if the test left it running."""
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    script = textwrap.dedent(
        f"""
        import os
        from ibviz.backends import _watchdog
        from ibviz.backends.ibsim_process import IbsimFabric
        fab = IbsimFabric({str(tmp_path / "tiny.net")!r}).start()
        if not {keep_watchdog!r}:
            _watchdog._watchdog.kill()
            _watchdog._watchdog.wait()
        print(fab.sockname, fab.pid, fab.workdir, flush=True)
        os._exit(0)  # like SIGKILL: no atexit, no stop()
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), *sys.path]))
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    sockname, pid, workdir = res.stdout.split()
    try:
        yield sockname, int(pid)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if procs_with_sockname(sockname):
            os.kill(int(pid), 9)


@pytest.mark.realtools
@real
def test_orphan_of_a_killed_parent_is_killed_by_its_watchdog(tmp_path: Path) -> None:
    with _orphan(tmp_path, keep_watchdog=True) as (sockname, _pid):
        assert_gone(sockname, None)  # the watchdog saw its parent's pipe close


@pytest.mark.realtools
@real
def test_orphan_without_a_watchdog_idles_and_is_reaped(tmp_path: Path) -> None:
    with _orphan(tmp_path, keep_watchdog=False) as (sockname, pid):
        assert procs_with_sockname(sockname) == [pid]
        assert_idle(pid)  # its stdin never reaches EOF, so it does not spin
        with IbsimFabric(tmp_path / "tiny.net") as fab:  # start() reaps orphans
            assert fab.ibnetdiscover()
        assert_gone(sockname, None)


@pytest.mark.realtools
@real
def test_client_timeout_kills_group_and_frees_slot(tmp_path: Path) -> None:
    write_net(tmp_path / "tiny.net", 0x0002C90000A00000)
    pidfile = tmp_path / "child.pid"
    client = textwrap.dedent(
        f"""
        import ctypes, subprocess, time
        lib = ctypes.CDLL("libibumad.so.3")
        lib.umad_init()
        assert lib.umad_open_port(None, 0) >= 0
        child = subprocess.Popen(["sleep", "60"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        time.sleep(60)
        """
    )
    with IbsimFabric(tmp_path / "tiny.net") as fab:
        t0 = time.monotonic()
        with pytest.raises(IbsimError, match="timed out"):
            fab.run_client([sys.executable, "-c", client], timeout=3)
        assert time.monotonic() - t0 < 10
        child = int(pidfile.read_text())
        state = Path(f"/proc/{child}/stat")

        def reaped_or_zombie() -> bool:
            try:
                return state.read_text().split(")")[1].split()[0] == "Z"
            except OSError:
                return True
        deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
        while not reaped_or_zombie() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reaped_or_zombie()
        assert fab.console("Attached").strip() == ""  # slot given back with X <n>
        assert parse_discover(fab.ibnetdiscover())[1]


@pytest.mark.realtools
@real
def test_limits_raised_from_net_file_size(tmp_path: Path) -> None:
    net = tmp_path / "many.net"
    net.write_text(
        "".join(f'switchguid=0x{0x1000 + i:x}\nSwitch\t2 "S-{i}"\n\n' for i in range(300))
    )
    nodes, switches, ports = estimate_limits(net)
    assert nodes == 2048 and switches >= 300 and ports == 13312
    with IbsimFabric(net) as fab:
        m = re.search(r"MaxNetSwitches = (\d+)", fab.startup_output)
        assert m and int(m.group(1)) == switches
    with pytest.raises(IbsimError, match=r"no more switches \(max 256\)"):
        IbsimFabric(net, max_switches=256).start()


@pytest.mark.realtools
@real
def test_find_umad2sim_without_dpkg(monkeypatch: pytest.MonkeyPatch) -> None:
    via_dpkg = find_umad2sim()
    assert via_dpkg is not None and via_dpkg.name == "libumad2sim.so"
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda n, *a, **k: None if n == "dpkg" else real_which(n))
    assert find_umad2sim() == via_dpkg


@pytest.mark.parametrize(
    ("absent", "package"),
    [("ibnetdiscover", "infiniband-diags"), ("ibsim", "ibsim-utils"), ("opensm", "opensm")],
)
def test_missing_tool_names_apt_get(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, absent: str, package: str
) -> None:
    real_which = shutil.which

    def fake_which(cmd: str, *args: object, **kwargs: object) -> str | None:
        return None if cmd == absent else (real_which(cmd) or f"/usr/bin/{cmd}")

    monkeypatch.setattr(shutil, "which", fake_which)
    monkeypatch.setattr("ibviz.backends._proc.find_umad2sim", lambda: Path("/x/libumad2sim.so"))
    with pytest.raises(MissingToolsError) as info:
        check_tools(need_opensm=True)
    assert info.value.packages == [package]
    assert f"apt-get install -y {package}" in str(info.value)
    if absent != "opensm":
        net = tmp_path / "x.net"
        net.write_text("")
        with pytest.raises(MissingToolsError, match=f"apt-get install -y {package}"):
            IbsimFabric(net).start()
    else:
        check_tools()  # opensm only matters when asked for


def test_everything_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("ibviz.backends._proc._SBIN", "/nonexistent")
    monkeypatch.setattr("ibviz.backends._proc.find_umad2sim", lambda: None)
    with pytest.raises(MissingToolsError) as info:
        check_tools(need_opensm=True)
    assert info.value.packages == ["ibsim-utils", "infiniband-diags", "opensm"]
    assert "apt-get install -y ibsim-utils infiniband-diags opensm" in str(info.value)


@pytest.mark.realtools
@real
def test_only_umad2sim_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ibviz.backends._proc.find_umad2sim", lambda: None)
    with pytest.raises(MissingToolsError, match="apt-get install -y libumad2sim0") as info:
        check_tools()
    assert info.value.packages == ["libumad2sim0"]
    assert "libumad2sim.so" in str(info.value)
