"""Children die with their parent: one watchdog process per ibviz process.

Every program ibviz starts against ibsim (ibsim itself, OpenSM, the SA and SMP clients,
``ibnetdiscover`` ...) carries ``IBSIM_SOCKNAME=ibviz<creator pid>_<hex>`` in its
environment, grandchildren included (they inherit it). :func:`ensure_watchdog` starts,
once per process, a small watchdog (this file run as a script: standard library only)
that blocks reading a pipe whose only writer is the ibviz process. When that process ends
in any way (``close()`` never called, SIGKILL, a crash), the kernel closes the pipe, the
watchdog reads end-of-file and SIGKILLs every process carrying the creator's socket name.

Why not ``PR_SET_PDEATHSIG``: the kernel sends it when the *thread* that forked the child
exits, not the process, and the window starts the lab and its SA clients from worker
threads that end long before the lab does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["SOCKNAME_PREFIX", "ensure_watchdog", "kill_marked", "marked_processes",
           "watchdog_pid"]

SOCKNAME_PREFIX = "ibviz"
"""Socket names are ``f"{SOCKNAME_PREFIX}{creator pid}_{hex}"``."""

_lock = threading.Lock()
_watchdog: subprocess.Popen | None = None
_owner: int | None = None


def ensure_watchdog() -> int:
    """Start this process's watchdog unless it runs; return its pid."""
    global _watchdog, _owner
    with _lock:
        if _watchdog is not None and _owner == os.getpid() and _watchdog.poll() is None:
            return _watchdog.pid
        marker = f"{SOCKNAME_PREFIX}{os.getpid()}_"
        _watchdog = subprocess.Popen(  # its stdin: the pipe only this process writes to
            [sys.executable, "-I", "-S", str(Path(__file__).resolve()), marker],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env={"PATH": os.environ.get("PATH", "")})
        _owner = os.getpid()
        return _watchdog.pid


def watchdog_pid() -> int | None:
    """The pid of this process's watchdog, if one runs."""
    with _lock:
        ok = _watchdog is not None and _owner == os.getpid() and _watchdog.poll() is None
        return _watchdog.pid if ok and _watchdog is not None else None


def marked_processes(marker: str) -> list[int]:
    """Pids of the processes whose ``IBSIM_SOCKNAME`` starts with ``marker``."""
    wanted = b"IBSIM_SOCKNAME=" + marker.encode()
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc_dir / "environ").read_bytes()
        except OSError:
            continue
        if any(item.startswith(wanted) for item in environ.split(b"\0")):
            found.append(int(proc_dir.name))
    return found


def kill_marked(marker: str) -> list[int]:
    """SIGKILL every process whose ``IBSIM_SOCKNAME`` starts with ``marker``."""
    killed = []
    for pid in marked_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        killed.append(pid)
    return killed


def _main(marker: str) -> int:
    """The watchdog: wait for end-of-file on stdin, then kill what the creator left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C for the GUI is not for us
    while os.read(0, 4096):
        pass
    for _ in range(3):  # a child being started right now shows up in the next pass
        if not kill_marked(marker):
            break
        time.sleep(0.02)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1]))
