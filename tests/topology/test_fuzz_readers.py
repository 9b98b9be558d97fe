"""Corrupted input never crashes a reader: it loads, or raises a TopologyError that names
the file. (hypothesis mutates real files line by line and character by character.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_PUBLIC
from ibviz.topology import load
from ibviz.topology.errors import TopologyError

SAMPLES = [
    "ibnetdiscover-man-voltaire-sdr-lmc1.topo",
    "ibtopotool-nvidia-ufm-lab-edr-fdr-loopback.topo",
    "ibsim-net.2sw2path4hca2port.net",
    "treydock-ibnetdiscover-p-hdr-sharp.out",
    "linpack-iblinkinfo-sb7700-edr.excerpt.txt",
    "blogpost-iblinkinfo-hdr-quantum-sharp.excerpt.txt",
    "ibutils-opensm-subnet.lst",
    "garyli-ndr-quantum2.ibdiagnet2.db_csv",
    "treydock-ibnetdiscover-p-edr.out",
    "ibtopotool-fujitsu-bx900-switches-only.topo",
]


def _lines(name: str) -> list[str]:
    path = SHARED_PUBLIC / name
    if not path.is_file():
        pytest.skip(f"shared corpus file {name} not found")
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


@st.composite
def mutated(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(SAMPLES))
    lines = list(_lines(name))
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "char", "cut", "swap", "junk"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "char" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            c = draw(st.sampled_from(list('"[]()#=x0 9-\t:{}\'')))
            lines[i] = lines[i][:j] + c + lines[i][j + 1:]
        elif op == "cut" and lines[i]:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "junk":
            lines.insert(i, draw(st.text(max_size=40)))
    return name, "\n".join(lines)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_files_load_or_fail_cleanly(sample):
    name, text = sample
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            fabric = load(path)
        except TopologyError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc)
        else:
            for link in fabric.links.values():
                assert fabric.peer(link.a) == link.b
