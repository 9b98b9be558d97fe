"""The Debian packages the OpenSM lab needs, and the cleanup after labs killed outright."""

from __future__ import annotations

import ctypes.util
import re
import shutil
import tempfile
from pathlib import Path

from ibviz.backends._proc import MissingToolsError, check_tools
from ibviz.backends.base import BackendError

__all__ = ["LAB_PACKAGES", "MissingLabTools", "WORKDIR_PREFIX", "reap_orphan_workdirs",
           "require_lab_tools"]

LAB_PACKAGES = ("opensm", "ibsim-utils", "infiniband-diags", "libibumad3")
"""The Debian packages the lab runs on (the CI test command installs them)."""

WORKDIR_PREFIX = "ibviz-lab-"
"""Private lab directories are ``<tmp>/ibviz-lab-<creator pid>-<random>``."""


class MissingLabTools(MissingToolsError, BackendError):
    """Debian packages the lab needs are missing; the message holds the apt-get command.

    Both a :class:`~ibviz.backends._proc.MissingToolsError` (``.packages``, ``.missing``)
    and a :class:`~ibviz.backends.base.BackendError` (shown to the user as it is).
    """


def require_lab_tools() -> None:
    """Raise :class:`MissingLabTools` unless ibsim, umad2sim, ibnetdiscover, OpenSM and
    libibumad are all installed."""
    packages: list[str] = []
    missing: list[str] = []
    try:
        check_tools(need_opensm=True)
    except MissingToolsError as exc:
        packages, missing = list(exc.packages), list(exc.missing)
    if ctypes.util.find_library("ibumad") is None:
        packages.append("libibumad3")
        missing.append("libibumad.so.3")
    if packages:
        raise MissingLabTools(packages, missing)


def reap_orphan_workdirs() -> list[Path]:
    """Remove the private directories of labs whose process died without closing them
    (killed outright: no ``close()``, no atexit); return them."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        m = re.match(re.escape(WORKDIR_PREFIX) + r"(\d+)-", path.name)
        if m and path.is_dir() and not Path(f"/proc/{m.group(1)}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
