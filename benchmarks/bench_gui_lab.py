"""The window on the OpenSM lab, 1,000 HCAs: click Fail on a group's primary -> the
switch inspector shows OpenSM's real MFT moved to the takeover (issue 6 goal: <= 1 s).

Each run starts a lab on the fabric through File > Connect (offscreen, or under
``xvfb-run -a``), protects a group (primary and takeover on one leaf, two senders on other
leaves, joined through OpenSM's SA), then times Fail -> the inspector row with the
takeover's port. Prints the connect time and the medians.

Usage: QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_lab.py [--fabric SPEC] [--runs N]
Needs the Debian packages opensm and ibsim-utils.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ibviz.app.live_bus import set_up_demo_group  # noqa: E402
from ibviz.core.model import NodeKind  # noqa: E402
from ibviz.gui.window.connect_dialog import LAB, ConnectChoice  # noqa: E402
from ibviz.gui.window.main import MainWindow  # noqa: E402


def wait(app: QApplication, done, timeout: float) -> float:
    t = time.monotonic()
    while not done():
        app.processEvents()
        if time.monotonic() - t > timeout:
            raise TimeoutError("timed out")
        time.sleep(0.002)
    return time.monotonic() - t


def roles_for(fabric) -> dict:
    """Primary and takeover on the first leaf with two HCAs, senders on two other leaves."""
    by_leaf: dict[int, list[int]] = {}
    for node in sorted(fabric.cas(), key=lambda n: n.guid):
        link = fabric.node_links(node.guid)[0]
        leaf = link.b.node if link.a.node == node.guid else link.a.node
        if fabric.nodes[leaf].kind is NodeKind.SWITCH:
            by_leaf.setdefault(leaf, []).append(node.guid)
    leaves = [leaf for leaf, cas in by_leaf.items() if len(cas) >= 2]
    first, *others = leaves
    return {"primary": by_leaf[first][0], "takeover": by_leaf[first][1], "switch": first,
            "senders": [by_leaf[others[0]][0], by_leaf[others[-1]][0]]}


def one_run(app: QApplication, spec: str, tmp: str) -> tuple[float, float]:
    window = MainWindow(QSettings(os.path.join(tmp, "settings.ini"), QSettings.IniFormat))
    window.batch = True
    window.resize(1400, 900)
    window.show()
    try:
        t0 = time.monotonic()
        window.connect_to(ConnectChoice(LAB, spec))
        wait(app, lambda: window.backend is not None, 60)
        connect = time.monotonic() - t0
        lab = window.backend
        roles = roles_for(lab.fabric)
        group = set_up_demo_group(lab, roles)
        window.session.controller.protect(group, "benchmark group")
        window.session.deliver_pending()
        window.controller.refresh()
        mlid = lab.sm.sa.groups[group.mgid].mlid
        port = str(lab.fabric.peer(lab.member_port(roles["takeover"])).port)
        window.inspector.show_switch(roles["switch"])

        def shown() -> bool:
            window.inspector.refresh()
            return any(int(r[0], 16) == mlid and port in r[1].split(", ")
                       for r in window.inspector.mft_rows())

        window.select_node(roles["primary"])
        t1 = time.monotonic()
        window.actions_.fail.trigger()
        wait(app, lambda: not window.live_busy() and shown(), 30)
        return connect, time.monotonic() - t1
    finally:
        window.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fabric", default="fat-tree:k=10,n=3")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    connects, fails = [], []
    with tempfile.TemporaryDirectory(prefix="ibviz-bench-gui-lab-") as tmp:
        for _ in range(args.runs):
            c, f = one_run(app, args.fabric, tmp)
            connects.append(c)
            fails.append(f)
    print(f"{args.fabric}: connect (lab start, SUBNET UP, first view) median "
          f"{statistics.median(connects):.2f} s; Fail -> the real MFT shown median "
          f"{statistics.median(fails):.2f} s ({', '.join(f'{x:.2f}' for x in fails)})")


if __name__ == "__main__":
    main()
