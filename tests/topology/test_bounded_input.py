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
