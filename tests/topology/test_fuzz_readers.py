"""Corrupted input never crashes a reader: it loads, or raises a TopologyError that names
the file. (hypothesis mutates real files line by line and character by character.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_PUBLIC, examples
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


OPS = st.tuples(st.sampled_from(["drop", "dup", "char", "cut", "swap", "junk"]),
                st.floats(0, 1), st.floats(0, 1), st.sampled_from(list('"[]()#=x0 9-\t:{}\'')),
                st.text(max_size=40))


def mutate(lines: list[str], ops: list[tuple]) -> str:
    """Apply line-level mutations; positions are fractions so examples stay small."""
    lines = list(lines)
    for op, f, g, char, junk in ops:
        if not lines:
            break
        i = min(int(f * len(lines)), len(lines) - 1)
        j = min(int(g * len(lines[i])), max(len(lines[i]) - 1, 0))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "char" and lines[i]:
            lines[i] = lines[i][:j] + char + lines[i][j + 1:]
        elif op == "cut":
            lines[i] = lines[i][:j]
        elif op == "swap":
            k = min(int(g * len(lines)), len(lines) - 1)
            lines[i], lines[k] = lines[k], lines[i]
        elif op == "junk":
            lines.insert(i, junk)
    return "\n".join(lines)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(OPS, min_size=1, max_size=6))
def test_mutated_real_files_load_or_fail_cleanly(name, ops):
    text = mutate(_lines(name), ops)
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
