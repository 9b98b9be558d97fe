"""The streamed numpy reader of OpenSM's LFT dumps gives exactly the state the line
reader gives (tables, LIDs, descriptions, warnings with their lines), and hands any file
it does not fully understand to the line reader."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ibviz.core.model import PortRef
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.topology._text import decode_lines
from ibviz.topology.generators import fat_tree, leaf_spine
from ibviz.topology.state import _byte_rows, _fast_lfts
from ibviz.topology.state._fast_lfts import parse_fast
from ibviz.topology.state.directory import read_state_dir
from ibviz.topology.state.load import parse_state
from ibviz.topology.state.model import FabricState
from ibviz.topology.state.opensm_writers import format_fdbs, format_lfts_dump

FORMATS = {"opensm-lfts.dump": "opensm-lfts", "opensm.fdbs": "opensm-fdbs"}


def key(st: FabricState) -> tuple:
    return (list(st.lids.items()), [(k, v.tobytes()) for k, v in st.lfts.items()],
            list(st.descriptions.items()),
            [(k, v.linear_fdb_top) for k, v in st.switch_info.items()],
            [(w.message, w.file, w.line, w.kind) for w in st.warnings],
            st.lfts_complete, st.mfts_complete, st.sources)


def line_reader(text: str, fmt: str) -> FabricState:
    return parse_state(decode_lines(text.encode(), "f"), fmt, "f")


def fast(text: str, fmt: str) -> FabricState | None:
    return parse_fast(io.BytesIO(text.encode()), fmt, "f")


def dumps(lmc: int = 0, fail: bool = False) -> dict[str, str]:
    fabric = leaf_spine(24, hcas_per_leaf=4, spines=2, switch_ports=8) if lmc else \
        fat_tree(4, 3)
    sm = SubnetManager(fabric, SmConfig(lmc=lmc, sm_port=PortRef(min(
        n.guid for n in fabric.switches()), 0)))
    sm.sweep()
    if fail:  # a host behind a failed cable: UNREACHABLE rows, rows left out
        host = max(n.guid for n in fabric.cas())
        sm.set_link(PortRef(host, 1), False)
        sm.sweep()
    return {"opensm-lfts.dump": format_lfts_dump(sm), "opensm.fdbs": format_fdbs(sm)}


@pytest.mark.parametrize("lmc,fail", [(0, False), (2, False), (0, True)])
@pytest.mark.parametrize("name", list(FORMATS))
def test_same_state_as_the_line_reader(name: str, lmc: int, fail: bool):
    text = dumps(lmc, fail)[name]
    got = fast(text, FORMATS[name])
    assert got is not None
    assert key(got) == key(line_reader(text, FORMATS[name]))
    if fail and name == "opensm.fdbs":
        assert "UNREACHABLE" in text


@pytest.mark.parametrize("name", list(FORMATS))
def test_small_pieces_split_tables(name: str, monkeypatch: pytest.MonkeyPatch):
    """Pieces smaller than one switch's table (read again, doubled) give the same state."""
    monkeypatch.setattr(_byte_rows, "CHUNK", 100)
    text = dumps(2)[name]
    got = fast(text, FORMATS[name])
    assert got is not None and key(got) == key(line_reader(text, FORMATS[name]))


def _edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("name,change", [
    ("opensm-lfts.dump", lambda t: t.replace("\n", "\r\n")),
    ("opensm-lfts.dump", lambda t: _edit(t, "0x0002 ", "0x0002  ")),
    ("opensm-lfts.dump", lambda t: _edit(t, "0x0003 ", "0xc003 ")),
    ("opensm-lfts.dump", lambda t: _edit(t, "0x0003 ", "0x0001 ")),
    ("opensm-lfts.dump", lambda t: _edit(t, "'", "'é")),
    ("opensm-lfts.dump", lambda t: "note\n" + t),
    ("opensm-lfts.dump", lambda t: t.rstrip("\n")),
    ("opensm.fdbs", lambda t: _edit(t, ": yes", ": No 1 hop path possible via port 2!")),
    ("opensm.fdbs", lambda t: _edit(t, "0x0001 : ", "0x0000 : ")),
    ("opensm.fdbs", lambda t: _edit(t, ": 00 ", ": 0x ")),
])
def test_other_layouts_go_to_the_line_reader(name: str, change):
    text = change(dumps()[name])
    assert fast(text, FORMATS[name]) is None


def _in_last_section(text: str, old: str, new: str) -> str:
    at = text.rindex("Unicast lids [")
    return text[:at] + _edit(text[at:], old, new)


def test_a_section_laid_out_otherwise_is_read_line_by_line():
    """A later switch whose rows differ from the others' beyond the ports (another
    destination text of the same length): the same state as the line reader, the first
    description kept; a port that is not a number there: the line reader reads it."""
    text = _in_last_section(dumps()["opensm-lfts.dump"], "'node0001 HCA-1'",
                            "'node0001 HCA-X'")
    got = fast(text, "opensm-lfts")
    assert got is not None and key(got) == key(line_reader(text, "opensm-lfts"))
    bad = _in_last_section(dumps()["opensm-lfts.dump"], "0x0003 00", "0x0003 0x")
    assert fast(bad, "opensm-lfts") is None


def test_footer_count_warning_kept():
    """A table's 'N valid lids dumped' that does not match its rows: the same warning,
    on the same line, as the line reader gives."""
    text = dumps()["opensm-lfts.dump"]
    first = text.index(" lids dumped")
    number = text.rindex("\n", 0, first) + 1
    text = text[:number] + "3 valid" + text[first:]
    got = fast(text, "opensm-lfts")
    assert got is not None and got.warnings
    assert key(got) == key(line_reader(text, "opensm-lfts"))


@pytest.mark.parametrize("settle", [False, True])
def test_directory_reads_as_before(tmp_path: Path, settle: bool,
                                   monkeypatch: pytest.MonkeyPatch):
    """A dump directory read with the streamed reader gives the state of the line reader."""
    for name, text in dumps(2, fail=True).items():
        (tmp_path / name).write_text(text)
    streamed = read_state_dir(tmp_path, settle)
    monkeypatch.setattr(_fast_lfts, "FAST_FORMATS", ())
    monkeypatch.setattr("ibviz.topology.state.directory.FAST_FORMATS", ())
    lines = read_state_dir(tmp_path, settle)
    assert key(streamed.state) == key(lines.state)
    assert streamed.read == lines.read and streamed.disagreements == lines.disagreements
