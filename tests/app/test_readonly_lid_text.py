"""The read-only view's narration names the SM's LID as the canvas draws it (decimal,
``LID 279``), not in the dumps' hex (``LID 0x0117``) the cold trial's operator had to
convert; ``ibviz attach`` (the command line, beside the dumps) keeps the hex."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, corpus_file
from ibviz.app.live_readonly import read_only_detail, read_only_intro
from ibviz.backends.attach import RealFabric
from ibviz.core.model import NodeKind
from ibviz.core.naming import node_name

NAME = "hyungkwang-dgxa100-superpod-hdr-bom-crlf.txt"


def test_narration_names_the_sm_lid_as_the_canvas(tmp_path):
    dump = tmp_path / "dump"
    run = subprocess.run([sys.executable, "-m", "ibviz", "sm", str(corpus_file(NAME)),
                          "--dump", str(dump)], capture_output=True, text=True, cwd=REPO,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    backend = RealFabric(dump)
    backend.start()
    try:
        mark = backend.fabric.master_sm
        assert mark is not None
        node = backend.fabric.nodes[mark.node]
        port = node.ports[0 if node.kind is NodeKind.SWITCH else mark.port]
        assert port.lid > 9 and port.lmc == 0  # decimal and hex differ
        intro, detail = read_only_intro(backend), read_only_detail(backend)
    finally:
        backend.close()
    assert f"SM MASTER on {node_name(node)} (LID {port.lid})" in intro and "0x" not in intro
    assert f"(LID {port.lid:#06x})" in detail  # the tooltip says where facts came from
    canvas = pytest.importorskip("ibviz.gui.canvas.model")
    assert canvas.label_lines(node)[1] == f"LID {port.lid}"
