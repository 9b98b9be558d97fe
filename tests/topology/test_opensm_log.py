"""OpenSM's own log (``opensm.log``, written with ``-f``): the SM's state, port, sweeps and
exit, read from a log the lab's OpenSM 3.3.23 wrote; and the SM as a read-only window
states it (sm_facts: the topology's SM mark, then the log, then sminfo)."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.topology import open_fabric
from ibviz.topology.errors import TopologyError
from ibviz.topology.state import FabricState, SmState, detect_state, parse_state
from ibviz.topology.state.model import SmLog
from ibviz.topology.state.sm_facts import sm_facts

OPENSM_LOG = """\
Dec 06 13:26:45 038582 [4C8DB740] 0x43 -> OpenSM 3.3.23
Dec 06 13:26:45 039346 [4C8DB740] 0x80 -> OpenSM 3.3.23
Dec 06 13:26:45 080447 [4C8DB740] 0x02 -> osm_vendor_init: 1000 pending umads specified
Dec 06 13:26:45 083409 [4C8DB740] 0x80 -> Entering DISCOVERING state
Dec 06 13:26:45 083544 [4C8DB740] 0x02 -> osm_vendor_bind: Mgmt class 0x81 binding to port GUID 0x2c90400000000
Dec 06 13:26:45 085645 [4C8DB740] 0x02 -> osm_opensm_bind: Setting IS_SM on port 0x0002c90400000000
Dec 06 13:26:46 011485 [498D46C0] 0x80 -> Entering MASTER state
Dec 06 13:26:46 153871 [498D46C0] 0x02 -> osm_ucast_mgr_process: minhop tables configured on all switches
Dec 06 13:26:46 874266 [498D46C0] 0x02 -> SUBNET UP
Dec 06 13:26:50 100001 [498D46C0] 0x02 -> log_notice: Reporting Urgent Notice "Link state change" from switch LID 8, GUID 0x2c90400000001
Dec 06 13:26:51 200002 [498D46C0] 0x02 -> SM class trap 128: Directed Path Dump of 1 hop path: Path = 0,1
of node: node0001 HCA-1
Dec 06 13:26:51 874000 [498D46C0] 0x02 -> SUBNET UP
"""
EXIT = "Dec 06 13:26:57 082343 [4C8DB740] 0x80 -> Exiting SM\n"
NOW = datetime(2026, 12, 7, 9, 0).timestamp()


def read(text: str, now: float = NOW) -> SmLog:
    from ibviz.topology.state._reader import StateReader
    from ibviz.topology.state.opensm_log import parse_opensm_log

    state = FabricState()
    parse_opensm_log(StateReader(text.splitlines(), "opensm.log", state), now)
    return state.sm_log


def test_detected_and_read():
    assert detect_state(OPENSM_LOG.splitlines()) == "opensm-log"
    log = parse_state(OPENSM_LOG.splitlines(), "opensm-log", "opensm.log").sm_log
    assert (log.state, log.exited, log.port_guid, log.version) == \
        ("MASTER", False, 0x0002_C904_0000_0000, "3.3.23")
    assert log.sweeps == 2 and log.priority is None


def test_times_are_real_with_the_year_inferred():
    log = read(OPENSM_LOG)
    assert log.since == pytest.approx(datetime(2026, 12, 6, 13, 26, 46, 11485).timestamp())
    assert log.last_sweep == pytest.approx(datetime(2026, 12, 6, 13, 26, 51, 874000).timestamp())
    early = read(OPENSM_LOG, datetime(2027, 1, 2).timestamp())  # a December log read in January
    assert time.localtime(early.last_sweep).tm_year == 2026


def test_an_exit_and_a_priority_where_printed():
    log = read(OPENSM_LOG + EXIT)
    assert log.exited and log.since == pytest.approx(
        datetime(2026, 12, 6, 13, 26, 57, 82343).timestamp())
    text = OPENSM_LOG + "Dec 06 13:27:00 000001 [498D46C0] 0x02 -> SM priority 14\n"
    assert read(text).priority == 14


def test_not_a_log_is_an_error_naming_the_file():
    with pytest.raises(TopologyError) as info:
        read("of node: node0001 HCA-1\n")
    assert "opensm.log" in str(info.value) and "0xLEVEL -> message" in str(info.value)


def _fabric() -> Fabric:
    fabric = open_fabric("leaf-spine:hcas=4,hcas_per_leaf=2,spines=1")
    leaf = next(n for n in fabric.switches() if n.name == "leaf01")
    fabric.assign_lid(PortRef(leaf.guid, 0), 1, 0)
    return fabric


def test_sm_facts_mark_then_log_then_sminfo():
    fabric, state = _fabric(), FabricState()
    assert sm_facts(state, fabric).state == "unknown"
    leaf = next(n for n in fabric.switches() if n.name == "leaf01")
    fabric.master_sm = PortRef(leaf.guid, 0)
    facts = sm_facts(state, fabric)
    assert (facts.state, facts.where) == ("MASTER", "leaf01 (LID 0x0001)")
    state.sm_log = SmLog(state="STANDBY", port_guid=leaf.guid, sweeps=3, last_sweep=NOW)
    facts = sm_facts(state, fabric)
    assert facts.state == "STANDBY" and facts.sweeps == 3 and "opensm.log" in facts.line()
    state.sm_log.exited = True
    assert sm_facts(state, fabric).state == "gone (Exiting SM)"
    state.sm = SmState(1, leaf.guid, 15, "MASTER")
    facts = sm_facts(state, fabric)
    assert (facts.state, facts.priority) == ("MASTER", 15)
    assert facts.line().startswith("SM MASTER on leaf01 (LID 0x0001), priority 15, last sweep ")
