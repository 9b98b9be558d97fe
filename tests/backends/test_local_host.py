"""The local host via pyverbs: the real Debian python3-pyverbs on this machine (no RDMA
device: the message path), a pyverbs built for another Python, no pyverbs at all, and the
device-present path with a fake at the pyverbs boundary (get_device_list and Context)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ibviz.backends import local_host
from ibviz.backends.local_host import (
    DEBIAN_PYVERBS,
    LocalDevice,
    LocalPort,
    PyverbsMissing,
    load_pyverbs,
    read_local_host,
)

GUID = 0x0002_C903_000A_1B2C
GID = "fe80:0000:0000:0000:0002:c903:000a:1b2d"


def real_pyverbs():
    try:
        return load_pyverbs()
    except PyverbsMissing as exc:
        pytest.skip(f"python3-pyverbs is not usable here: {exc}")


def test_real_pyverbs_without_devices_gives_the_message():
    device = real_pyverbs()
    path_before = list(sys.path)
    host = read_local_host()
    assert host.devices == ()
    assert host.message is not None and host.message.startswith("no RDMA devices")
    # the real extension module was imported (from Debian's directory or an installed copy)
    assert device.__file__.endswith(".so") and Path(device.__file__).parent.name == "pyverbs"
    assert host.pyverbs_from == str(Path(device.__file__).parent)
    assert sys.modules["pyverbs.device"] is device
    assert sys.path == path_before and str(DEBIAN_PYVERBS.parent) not in sys.path


def not_installed():
    raise ImportError("No module named 'pyverbs'")


def test_missing_pyverbs_is_a_message(monkeypatch, tmp_path):
    monkeypatch.setattr(local_host, "_import_installed", not_installed)
    monkeypatch.setattr(local_host, "DEBIAN_PYVERBS", tmp_path / "absent")
    host = read_local_host()
    assert host.devices == () and host.pyverbs_from is None
    assert host.message == "pyverbs not installed (apt-get install python3-pyverbs)"


def test_pyverbs_built_for_another_python_is_a_message(monkeypatch, tmp_path):
    other = tmp_path / "pyverbs"
    other.mkdir()
    (other / "__init__.py").write_text("")
    (other / "device.cpython-39-x86_64-linux-gnu.so").write_bytes(b"")
    monkeypatch.setattr(local_host, "_import_installed", not_installed)
    with pytest.raises(PyverbsMissing, match="cpython-39.*--system-site-packages"):
        load_pyverbs(other)


# -- device present: a fake at the pyverbs boundary --------------------------------------------
@dataclass
class FakePortAttr:
    state: int
    lid: int
    lmc: int
    sm_lid: int
    link_layer: int
    gid_tbl_len: int


@dataclass
class FakeContext:
    name: str
    ports: dict[int, tuple[FakePortAttr, list[str]]]
    closed: list[str] = field(default_factory=list)

    def query_device(self):
        raw = int.from_bytes(GUID.to_bytes(8, "big"), "little")  # network byte order
        return type("DeviceAttr", (), {"phys_port_cnt": len(self.ports), "node_guid": raw})()

    def query_port(self, num):
        return self.ports[num][0]

    def query_gid(self, num, index):
        gids = self.ports[num][1]
        if index >= len(gids):
            raise RuntimeError("Failed to query gid")  # an empty RoCE entry
        from pyverbs.addr import GID

        return GID(gids[index])

    def close(self):
        self.closed.append(self.name)


def test_devices_and_ports_through_the_pyverbs_calls(monkeypatch):
    device = real_pyverbs()
    contexts: list[FakeContext] = []
    zero = ":".join(["0000"] * 8)
    ports = {1: (FakePortAttr(4, 3, 1, 1, 1, 4), [GID, zero, zero, zero]),
             2: (FakePortAttr(1, 0, 0, 0, 2, 8), ["fe80:0000:0000:0000:0202:c9ff:fe0a:1b2e"])}

    def context(name):
        ctx = FakeContext(name, ports)
        contexts.append(ctx)
        return ctx

    monkeypatch.setattr(device, "get_device_list",
                        lambda: [type("Device", (), {"name": b"mlx5_0"})()])
    monkeypatch.setattr(device, "Context", context)
    host = read_local_host()
    assert host.message is None and host.errors == ()
    assert host.devices == (LocalDevice("mlx5_0", GUID, (
        LocalPort(1, "Active (4)", 3, 1, 1, "InfiniBand", (GID,)),
        LocalPort(2, "Down (1)", 0, 0, 0, "Ethernet",
                  ("fe80:0000:0000:0000:0202:c9ff:fe0a:1b2e",)))),)
    assert [c.closed for c in contexts] == [["mlx5_0"]]


def test_a_device_that_cannot_be_opened_is_reported(monkeypatch):
    device = real_pyverbs()

    def refuse(name):
        raise PermissionError("Operation not permitted")

    monkeypatch.setattr(device, "get_device_list",
                        lambda: [type("Device", (), {"name": b"mlx5_1"})()])
    monkeypatch.setattr(device, "Context", refuse)
    host = read_local_host()
    assert host.devices == () and host.message == "no RDMA devices could be queried"
    assert host.errors == ("mlx5_1: cannot open (Operation not permitted)",)
