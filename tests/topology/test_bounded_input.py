"""Regression examples found by fuzzing (``python3 -m tests.fuzz``): every reader and loader
returns a fabric or the project's error naming file and line, never another exception,
a hang, or unbounded memory."""

from __future__ import annotations

import pytest

from ibviz.topology import load
from ibviz.topology.errors import TopologyError

IBLINKINFO_0X = """\
Switch: 0x7cfe900300a5a2a0 MF0;ib-sw1:MSB7700/U1:
           1    1[  ] ==( 0X          25.78125 Gbps Active/  LinkUp)==>       3    1[  ] "host1 HCA-1" ( )
"""
TOPO_HEAD = 'switchguid=0x10(10)\nSwitch\t8 "S-0000000000000010"\t\t# "sw" base port 0 lid 1 lmc 0\n'


def _error(path, fmt=None) -> TopologyError:
    with pytest.raises(TopologyError) as err:
        load(path, fmt)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    return err.value


def test_iblinkinfo_width_0x_is_an_error_naming_the_line(write):
    err = _error(write(IBLINKINFO_0X, "links.txt"))
    assert err.line == 2 and "0X" in err.message


def test_ibnetdiscover_unknown_width_with_question_marks(write):
    err = _error(write(TOPO_HEAD + '[1]\t"H-0000000000000020"[1](21) \t\t# "h" lid 2 3x???\n'),
                 "ibnetdiscover")
    assert err.line == 3 and "3x???" in err.message


def test_a_huge_peer_port_is_refused_before_anything_is_allocated(write):
    text = ('Switch 4 "S-0000000000000010"\n'
            '[1] "H-0000000000000020"[99999999999](21) # "h" lid 2 4xSDR\n')
    err = _error(write(text), "ibnetdiscover")
    assert err.line == 2 and "peer port 99999999999 out of range" in err.message
    assert "0-255" in str(err)


@pytest.mark.parametrize("comment, needle, expected", [
    ('lid 18446744073709551617 lmc 0 "sw" lid 1 4xSDR', "LID 18446744073709551617 does not "
     "fit 16 bits", "a LID 0-65535"),
    ('lid 65536 lmc 0 "sw" lid 1 4xSDR', "LID 65536 does not fit 16 bits", "a LID 0-65535"),
    ('lid 2 lmc 8 "sw" lid 1 4xSDR', "LMC 8 out of range", "an LMC 0-7"),
    ('lid 2 lmc 0 "sw" lid 70000 4xSDR', "LID 70000 does not fit 16 bits", "a LID 0-65535"),
])
def test_lids_that_do_not_fit_16_bits_and_lmc_above_7_are_errors(write, comment, needle,
                                                                 expected):
    text = (TOPO_HEAD + "\n" + 'caguid=0x20\nCa 1 "H-0000000000000020"\n'
            f'[1](21) "S-0000000000000010"[1] # {comment}\n')
    err = _error(write(text), "ibnetdiscover")
    assert err.line == 6 and needle in err.message and expected in str(err)


def test_lids_within_16_bits_outside_the_unicast_range_stay_warnings(write):
    text = (TOPO_HEAD + '[1] "H-0000000000000020"[1](21) # "h" lid 50000 4xSDR\n\n'
            'caguid=0x20\nCa 1 "H-0000000000000020"\n'
            '[1](21) "S-0000000000000010"[1] # lid 50000 lmc 0 "sw" lid 1 4xSDR\n')
    from ibviz.core import checks

    fabric = load(write(text), "ibnetdiscover")
    assert [p.lid for p in fabric.nodes[0x20].lid_ports()] == [50000]
    assert any("50000" in f.message or "0xc350" in f.message for f in checks.bad_lids(fabric))


def test_a_guid_wider_than_64_bits_is_an_error(write):
    err = _error(write("switchguid=0x1ffffffffffffffffff\n" + TOPO_HEAD.split("\n", 1)[1]),
                 "ibnetdiscover")
    assert err.line == 1 and "does not fit 64 bits" in err.message


def test_a_port_option_the_line_cannot_locate_is_still_named(write):
    """'substring not found' (ibnetdiscover.py, line.index(leftover)) was an internal error."""
    err = _error(write('Switch 4 "A"\n[1] "B"[1] a w=2 b\n\nHca 1 "B"\n[1] "A"[1]\n', "a.net"),
                 "ibsim")
    assert err.line == 2 and "bad port option 'a  b'" in err.message


def test_a_json_switch_without_port_0_is_a_clear_error(write):
    import json

    from ibviz.topology import dumps, open_fabric
    from ibviz.topology.state import load_state

    data = json.loads(dumps(open_fabric("fig8"), "json"))
    switch = next(n for n in data["nodes"] if n["kind"] == "switch")
    switch["ports"] = [p for p in switch["ports"] if p["num"] != 0]
    path = write(json.dumps(data), "f.json")
    assert "a switch without port 0" in _error(path).message
    with pytest.raises(TopologyError, match="a switch without port 0"):
        load_state(path)


def test_json_ports_are_listed_not_allocated_from_num_ports(write):
    import json

    from ibviz.topology import dumps, open_fabric

    data = json.loads(dumps(open_fabric("fig8"), "json"))
    ca = next(n for n in data["nodes"] if n["kind"] == "ca")
    ca["num_ports"], ca["ports"] = 10 ** 12, []
    assert "lists no ports" in _error(write(json.dumps(data), "f.json")).message


def test_the_load_wrapper_names_the_file_on_anything_unexpected(write, monkeypatch):
    from ibviz.topology import iblinkinfo

    def broken(path, lines):
        raise KeyError(7)
    monkeypatch.setattr(iblinkinfo, "parse_iblinkinfo", broken)
    err = _error(write(IBLINKINFO_0X, "links.txt"))
    assert "cannot read this file (KeyError: 7)" in err.message
    assert isinstance(err.__cause__, KeyError)


# ------------------------------------------------------------------ ibsim include
NET_A = 'Switch 2 "A"\n[1] "B"[1]\n\n'
NET_B = 'Hca 1 "B"\n[1] "A"[1]\n'


def test_include_is_relative_to_the_including_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.net").write_text(NET_B)
    (tmp_path / "sub" / "mid.net").write_text('include "b.net"\n')
    (tmp_path / "top.net").write_text(NET_A + 'include "sub/mid.net"\n')
    assert len(load(tmp_path / "top.net", "ibsim").nodes) == 2


@pytest.mark.parametrize("target, needle", [
    ("/dev/zero", "not a regular file"),
    ("../outside.net", "is outside the net file's folder"),
    ("/etc/hostname", "is outside the net file's folder"),
    ("missing.net", "not found"),
])
def test_include_refuses_devices_and_files_outside_the_folder(tmp_path, target, needle):
    (tmp_path / "outside.net").write_text(NET_B)
    (tmp_path / "net").mkdir()
    top = tmp_path / "net" / "top.net"
    top.write_text(NET_A + f'include "{target}"\n')
    err = _error(top, "ibsim")
    assert err.line == 4 and needle in err.message and "IBVIZ_INCLUDE_DIRS" in str(err)
    assert err.file == str(top)


def test_include_outside_the_folder_when_the_user_allows_it(tmp_path, monkeypatch):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "b.net").write_text(NET_B)
    (tmp_path / "net").mkdir()
    top = tmp_path / "net" / "top.net"
    top.write_text(NET_A + 'include "../shared/b.net"\n')
    monkeypatch.setenv("IBVIZ_INCLUDE_DIRS", str(tmp_path / "shared"))
    assert len(load(top, "ibsim").nodes) == 2


def test_include_fan_out_is_bounded(tmp_path):
    """6 files of 40 includes each would be 40^5 reads: refused after a bounded count."""
    for level in range(6):
        body = "".join(f'include "l{level + 1}.net"\n' for _ in range(40)) if level < 5 \
            else "# leaf\n"
        (tmp_path / f"l{level}.net").write_text(body)
    (tmp_path / "top.net").write_text(NET_A + NET_B + 'include "l0.net"\n')
    err = _error(tmp_path / "top.net", "ibsim")
    assert "more than 256 includes" in err.message and "l4.net:" in err.message
    assert err.file == str(tmp_path / "top.net")


def test_numbers_read_as_c_strtoul_reads_them(write):
    """``caguid=0010`` (fuzz: int('0010', 0) raised a bare ValueError): ibsim reads a
    leading 0 as octal; a digit 8 or 9 after it is an error naming the line."""
    fabric = load(write('caguid=0100\nHca 1 "h"\n[1] "s"[1]\n\nSwitch 2 "s"\n[1] "h"[1]\n',
                        "o.net"), "ibsim")
    assert 0o100 in fabric.nodes
    err = _error(write('caguid=0109\nHca 1 "h"\n[1] "s"[1]\n', "bad.net"), "ibsim")
    assert err.line == 1 and "octal" in err.message
    err = _error(write('Switch 2 "s"\n[1] "h"[1] w=09\n\nHca 1 "h"\n[1] "s"[1]\n', "w.net"),
                 "ibsim")
    assert err.line == 2 and "octal" in err.message


@pytest.mark.parametrize("name, line, old, new, needle", [
    ("linpack-iblinkinfo-sb7700-edr.excerpt.txt", 2, "      4    1[", " 70000    1[",
     "LID 70000 does not fit 16 bits"),
    ("treydock-ibnetdiscover-p-edr.out", 1, "CA   134  1", "CA 70000  1",
     "LID 70000 does not fit 16 bits"),
    ("ibutils-opensm-subnet.lst", 1, "LID:0002 PN:05", "LID:10002 PN:05", "LID:10002 out"),
    ("ibutils-opensm-subnet.lst", 1, "SW Ports:08", "SW Ports:1000", "Ports:1000 out"),
    ("garyli-ndr-quantum2.ibdiagnet2.db_csv", 31, ",65,2,1,1,", ",100000000,2,1,1,",
     "NumPorts 100000000 out of range"),
    ("garyli-ndr-quantum2.ibdiagnet2.db_csv", 315, ",180,180,", ",180,70000,",
     "LID 70000 out of range"),
])
def test_every_reader_checks_lid_and_port_sizes_before_use(tmp_path, name, line, old, new,
                                                           needle):
    from conftest import corpus_file

    lines = corpus_file(name).read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    err = _error(path)
    assert err.line == line and needle in err.message


def test_relative_keys_are_only_guid_bases_as_in_ibsim(write):
    err = _error(write('sysimgguid+5\nSwitch 2 "a"\n', "r.net"), "ibsim")
    assert err.line == 1 and "only for switchguid/caguid/hcaguids/rtguid" in err.message
