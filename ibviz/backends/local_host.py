"""The local host's RDMA devices and ports (LID, LMC, SM LID, state, GIDs, link layer), via
pyverbs.

pyverbs is part of the system's rdma-core (Debian/Ubuntu ``python3-pyverbs``) and is built
for the system Python. :func:`load_pyverbs` finds it the documented way (docs/pyverbs.md):
a plain ``import pyverbs`` (a virtual environment made with ``--system-site-packages``, or
the system Python), else the Debian copy in ``/usr/lib/python3/dist-packages/pyverbs`` when
its extension modules were built for this interpreter's ABI; that copy is imported from its
directory alone, without adding ``dist-packages`` to ``sys.path``. Nothing here crashes
for want of pyverbs or of devices: :func:`read_local_host` then returns a message.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = ["DEBIAN_PYVERBS", "INSTALL_HINT", "LocalDevice", "LocalHost", "LocalPort",
           "load_pyverbs", "read_local_host"]

DEBIAN_PYVERBS = Path("/usr/lib/python3/dist-packages/pyverbs")
INSTALL_HINT = "apt-get install python3-pyverbs"
NO_DEVICES = "no RDMA devices"


@dataclass(frozen=True)
class LocalPort:
    num: int
    state: str
    """pyverbs' text, e.g. ``Active (4)``."""
    lid: int
    lmc: int
    sm_lid: int
    link_layer: str
    """``InfiniBand`` or ``Ethernet`` (RoCE)."""
    gids: tuple[str, ...] = ()
    """Non-zero GID table entries, in table order."""


@dataclass(frozen=True)
class LocalDevice:
    name: str
    node_guid: int
    ports: tuple[LocalPort, ...]


@dataclass(frozen=True)
class LocalHost:
    """What :func:`read_local_host` found: devices, or a message saying why there are none."""

    devices: tuple[LocalDevice, ...] = ()
    message: str | None = None
    pyverbs_from: str | None = None
    """Where pyverbs was imported from (None: not found)."""
    errors: tuple[str, ...] = field(default=())
    """Devices or ports that could not be queried."""


class PyverbsMissing(ImportError):
    """pyverbs cannot be imported; the message says why and what to do."""


def _abi_matches(directory: Path) -> bool:
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    modules = list(directory.glob("*.so"))
    return bool(modules) and all(m.name.endswith(suffix) for m in modules)


def _import_installed() -> ModuleType:
    """``import pyverbs.device`` the plain way (system Python, venv with system packages)."""
    return importlib.import_module("pyverbs.device")


def load_pyverbs(debian_dir: Path | None = None) -> ModuleType:
    """The ``pyverbs.device`` module, found as described above.

    Parameters
    ----------
    debian_dir : Path, optional
        Where Debian installs pyverbs (default :data:`DEBIAN_PYVERBS`).

    Raises
    ------
    PyverbsMissing
        Not installed, or installed for another Python (the message says which).
    """
    debian_dir = DEBIAN_PYVERBS if debian_dir is None else debian_dir
    try:
        return _import_installed()
    except ImportError as exc:
        first = exc
    if not debian_dir.is_dir():
        raise PyverbsMissing(f"pyverbs not installed ({INSTALL_HINT})") from first
    if not _abi_matches(debian_dir):
        found = sorted({m.name.split(".", 1)[1] for m in debian_dir.glob("*.so")})
        raise PyverbsMissing(
            f"pyverbs in {debian_dir} is built for {', '.join(found) or 'another Python'}, not "
            f"this Python {sys.version_info.major}.{sys.version_info.minor}: run ibviz with the "
            "system python3 or a venv made with --system-site-packages") from first
    spec = importlib.util.spec_from_file_location(
        "pyverbs", debian_dir / "__init__.py", submodule_search_locations=[str(debian_dir)])
    if spec is None or spec.loader is None:
        raise PyverbsMissing(f"pyverbs in {debian_dir} cannot be loaded") from first
    package = importlib.util.module_from_spec(spec)
    sys.modules["pyverbs"] = package
    try:
        spec.loader.exec_module(package)
        return importlib.import_module("pyverbs.device")
    except ImportError as exc:  # e.g. libibverbs missing
        for name in [n for n in sys.modules if n == "pyverbs" or n.startswith("pyverbs.")]:
            del sys.modules[name]
        raise PyverbsMissing(f"pyverbs in {debian_dir} does not load: {exc}") from exc


def _guid(device: ModuleType, raw: int) -> int:
    """DeviceAttr.node_guid is in network byte order; pyverbs' guid_format prints it."""
    return int(str(device.guid_format(raw)).replace(":", ""), 16)


def _port(device: ModuleType, ctx: object, num: int, max_gids: int) -> LocalPort:
    attr = ctx.query_port(num)  # type: ignore[attr-defined]
    gids = []
    for index in range(min(int(attr.gid_tbl_len), max_gids)):
        try:
            gid = str(ctx.query_gid(num, index))  # type: ignore[attr-defined]
        except Exception:  # an empty RoCE GID entry raises: the table ends here
            break
        if gid.replace(":", "").strip("0"):
            gids.append(gid)
    return LocalPort(num, str(device.port_state_to_str(attr.state)), int(attr.lid),
                     int(attr.lmc), int(attr.sm_lid),
                     str(device.translate_link_layer(attr.link_layer)), tuple(gids))


def read_local_host(max_gids: int = 16) -> LocalHost:
    """Every local RDMA device with its ports, or a message (pyverbs missing, no devices)."""
    try:
        device = load_pyverbs()
    except PyverbsMissing as exc:
        return LocalHost(message=str(exc))
    origin = str(Path(device.__file__).parent) if getattr(device, "__file__", None) else "?"
    try:
        listed = list(device.get_device_list())
    except Exception as exc:  # PyverbsRDMAError "Failed to get devices list" when none exist
        return LocalHost(message=f"{NO_DEVICES} ({exc})", pyverbs_from=origin)
    if not listed:
        return LocalHost(message=NO_DEVICES, pyverbs_from=origin)
    devices, errors = [], []
    for dev in listed:
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        try:
            ctx = device.Context(name=name)
        except Exception as exc:
            errors.append(f"{name}: cannot open ({exc})")
            continue
        try:
            attr = ctx.query_device()
            ports = []
            for num in range(1, int(attr.phys_port_cnt) + 1):
                try:
                    ports.append(_port(device, ctx, num, max_gids))
                except Exception as exc:
                    errors.append(f"{name} port {num}: {exc}")
            devices.append(LocalDevice(name, _guid(device, attr.node_guid), tuple(ports)))
        except Exception as exc:
            errors.append(f"{name}: {exc}")
        finally:
            ctx.close()
    message = None if devices else f"{NO_DEVICES} could be queried"
    return LocalHost(tuple(devices), message, origin, tuple(errors))
