"""How fast the OpenSM lab refuses requests once OpenSM or ibsim is gone (issue 15 item 5).

Starts a lab on FIG. 8, SIGKILLs OpenSM (or ibsim) and times ``join()`` and
``fail_node()`` until they raise :class:`BackendError`; medians of ``--repeat`` runs.

    PYTHONPATH=$PWD python3 benchmarks/bench_lab_gone.py --repeat 3
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ibviz.backends.base import BackendError  # noqa: E402
from ibviz.backends.lab import OpenSmLab  # noqa: E402
from ibviz.core.addressing import make_mgid  # noqa: E402
from ibviz.topology import open_fabric  # noqa: E402
from ibviz.topology.builtin import FAILOVER_ROLES  # noqa: E402

ROLES = FAILOVER_ROLES["fig8"]


def _timed(call) -> float:
    """Seconds until ``call()`` raises BackendError (it must raise)."""
    t0 = time.monotonic()
    try:
        call()
    except BackendError:
        return time.monotonic() - t0
    raise SystemExit(f"{call} did not fail")


def _dead(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" in status.read_text().lower()


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not _dead(pid) and time.monotonic() < deadline:
        time.sleep(0.005)


def one_run() -> dict[str, float]:
    mgid = make_mgid(group_id=0x77)
    out = {}
    with OpenSmLab(open_fabric("fig8")) as lab:
        lab.start()
        lab.join(ROLES["senders"][0], mgid)
        assert lab.opensm is not None and lab.opensm.pid is not None
        _kill(lab.opensm.pid)
        out["SM gone: join"] = _timed(lambda: lab.join(ROLES["senders"][1], mgid))
        out["SM gone: fail_node"] = _timed(lambda: lab.fail_node(ROLES["primary"]))
    with OpenSmLab(open_fabric("fig8")) as lab:
        lab.start()
        assert lab.ibsim is not None and lab.ibsim.pid is not None
        _kill(lab.ibsim.pid)
        out["ibsim gone: join"] = _timed(lambda: lab.join(ROLES["senders"][1], mgid))
        out["ibsim gone: fail_node"] = _timed(lambda: lab.fail_node(ROLES["primary"]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.repeat)]
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"{key:24s} median {statistics.median(values):7.3f} s  "
              f"(runs: {', '.join(f'{v:.3f}' for v in values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
