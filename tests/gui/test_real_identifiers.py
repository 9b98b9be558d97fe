"""Real fabrics in the window: every topology file of the corpus opens, and every switch
can be chosen in the switch inspector, with no exception and no Qt conversion warning.
NVIDIA GUIDs (the DGX SuperPOD file's 0xb8cef6...) are >= 2**63: they must never pass
through Qt as a signed 64-bit integer."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from PySide6.QtCore import qInstallMessageHandler  # noqa: E402

from conftest import open_window, temp_settings  # noqa: E402
from ibviz.core.model import NodeKind  # noqa: E402
from ibviz.topology import load  # noqa: E402
from ibviz.topology.errors import TopologyError  # noqa: E402

pytestmark = pytest.mark.gui

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "fabrics" / "public"


def topology_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.iterdir()):
        if path.suffix == ".md":
            continue
        try:
            if load(path).nodes:
                found.append(path)
        except TopologyError:
            continue  # a state file (fdbs, ibroute, saquery ...): not a topology
    return found


FILES = topology_files()


@pytest.mark.skipif(not FILES, reason=f"the shared corpus is not beside the checkout ({CORPUS})")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_switch_of_every_corpus_file_can_be_inspected(qtbot, tmp_path, path):
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda mode, context, text: messages.append(text))
    try:
        window = open_window(qtbot, temp_settings(tmp_path), spec=str(path))
        fabric = window.session.fabric
        switches = {n.guid for n in fabric.nodes.values() if n.kind is NodeKind.SWITCH}
        chooser = window.inspector.chooser
        assert chooser.count() == len(switches)
        seen = set()
        for i in range(chooser.count()):
            chooser.setCurrentIndex(i)
            assert window.inspector.switch in switches
            seen.add(window.inspector.switch)
        assert seen == switches
        for guid in sorted(switches)[-3:]:   # the largest GUIDs, >= 2**63 on NVIDIA gear
            assert window.inspector.show_switch(guid)
            assert window.inspector.switch == guid
    finally:
        qInstallMessageHandler(previous)
    bad = [m for m in messages if any(w in m.lower() for w in
                                      ("overflow", "conver", "out of range", "qvariant"))]
    assert not bad, bad


def test_the_superpod_file_has_guids_above_2_63():
    """The premise of the test above: the corpus holds GUIDs a signed int64 cannot."""
    superpod = CORPUS / "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"
    if not superpod.exists():
        pytest.skip(f"the shared corpus is not beside the checkout ({CORPUS})")
    assert max(load(superpod).nodes) >= 1 << 63
