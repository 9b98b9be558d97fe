"""Bad input gives one clear error naming file, line, column and what was expected."""

import pytest

from ibviz.topology import load
from ibviz.topology.errors import TopologyError

GOOD_HEAD = 'switchguid=0x10(10)\nSwitch\t8 "S-0000000000000010"\t\t# "sw" base port 0 lid 1 lmc 0\n'


@pytest.mark.parametrize("text,line,col,needle,expected", [
    (GOOD_HEAD + '[1]\t"H-0000000000000020"[1](21) \t\t# "h" lid 2 4xQQR\n', 3, None,
     "unknown link speed", "a width and speed"),
    (GOOD_HEAD + '[1 "H-0000000000000020"[1]\n', 3, 1, "malformed port line", "[PORT]"),
    (GOOD_HEAD + 'garbage here\n', 3, 1, "unrecognised line", "a node header"),
    ('[1]\t"S-0000000000000010"[1]\t\t# "x" lid 1 4xSDR\n' + GOOD_HEAD, 1, 1,
     "port line outside a node block", "a node header line"),
    (GOOD_HEAD + '[99]\t"S-0000000000000010"[1]\t\t# "x" lid 1 4xSDR\n', 3, 2,
     "port 99, but S-0000000000000010 declares 8 ports", "a port number 1-8"),
    (GOOD_HEAD + '[1]\t"S-0000000000000010"[9]\t\t# "x" lid 1 4xSDR\n', 3, None,
     "has no port 9", "a port 1-8"),
    (GOOD_HEAD + '[1]\t"H-0000000000000020"[1](21) \t\t# lid 2 "h" 4xSDR\n', 3, 35,
     "unrecognised port comment", '# "DESC" lid N 4xSPEED'),
    (GOOD_HEAD + "\n" + GOOD_HEAD, 5, None, "declared twice", None),
    ('switchguid=0x10(10)\nSwitch\t999 "S-0000000000000010"\n', 2, 8, "999 ports", "1-255"),
    (GOOD_HEAD + '[1]\t"Mystery"[1]\t\t# "x" lid 1 4xSDR\n', 3, None,
     "never declared and its name does not encode a GUID", "a node block for it"),
])
def test_errors_name_file_line_and_expectation(write, text, line, col, needle, expected):
    path = write(text, "bad.topo")
    with pytest.raises(TopologyError) as err:
        load(path, "ibnetdiscover")
    e = err.value
    msg = str(e)
    assert needle in msg and str(path) in msg
    if line is not None:
        assert e.line == line and f"bad.topo:{line}" in msg
    if col is not None:
        assert e.column == col
    if expected:
        assert expected in msg and "(expected" in msg
    assert "\n" not in msg  # one line, printable by the CLI as is


def test_unknown_files_and_binary_and_missing(write, tmp_path):
    with pytest.raises(TopologyError, match="cannot tell what kind of file"):
        load(write("hello world\nthis is not a fabric\n", "notes.txt"))
    with pytest.raises(TopologyError, match="binary data"):
        load(write(b"\x00\x01\x02garbage", "blob.bin"))
    with pytest.raises(TopologyError, match="cannot read file"):
        load(tmp_path / "missing.topo")
    with pytest.raises(TopologyError, match="unknown format 'xml'"):
        load(write(GOOD_HEAD), "xml")


def test_ibsim_syntax_in_a_forced_ibnetdiscover_file(write):
    with pytest.raises(TopologyError, match="ibsim net syntax") as err:
        load(write('Switch 4 "A"\n\nHca 1 "B"\n[1] "A"[1]\n'), "ibnetdiscover")
    assert err.value.line == 3 and "--format ibsim" in str(err.value)


def test_non_utf8_bytes_are_kept_and_warned(write):
    data = GOOD_HEAD.replace('"sw"', '"sw\xe9"').encode("latin-1")
    f = load(write(data))
    assert "\ufffd" in next(iter(f.nodes.values())).description
    assert any(w.kind == "encoding" and w.line == 2 for w in f.warnings)


def test_json_errors_name_the_json_path(write):
    with pytest.raises(TopologyError) as err:
        load(write('{"format": "ibviz-fabric", "version": 1, "nodes": [{"guid": "0x1"}], '
                   '"links": []}', "f.json"))
    assert "$.nodes[0].kind: missing" in str(err.value)
    with pytest.raises(TopologyError) as err:
        load(write('{"format": "ibviz-fabric",\n "version": 1,\n "nodes": [,]}', "g.json"))
    assert err.value.line == 3 and err.value.column == 12 and "invalid JSON" in str(err.value)
    with pytest.raises(TopologyError, match="version 9 is not supported"):
        load(write('{"format": "ibviz-fabric", "version": 9}', "h.json"))
