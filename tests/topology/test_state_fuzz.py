"""Any mutation of a real state file yields a FabricState or a TopologyError (naming the
file, on one line), never another exception; what is read stays within the IB ranges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_readers import OPS, mutate
from test_opensm_log import OPENSM_LOG
from test_state_readers import (
    DUMP_FTS_M,
    FDBS,
    GUID2LID,
    IBROUTE,
    LFTS_DUMP,
    MCFDBS,
    SA_DUMP,
    SAQUERY_M,
    SMINFO,
)

from conftest import SHARED_PUBLIC, examples
from ibviz.topology.errors import TopologyError
from ibviz.topology.state import FabricState, detect_state, parse_state

CORPUS = {
    "ibflitsim-ibdiagnet-unreachable.fdbs": "opensm-fdbs",
    "ibsim-tutorial-ibroute-unicast.excerpt.txt": "ibroute",
    "ukharon-ibroute-M-msb7700.excerpt.txt": "ibroute-mcast",
    "ukharon-saquery-g-mcmemberrecord.excerpt.txt": "saquery-mcmember",
    "linpack-iblinkinfo-sb7700-edr.excerpt.txt": "iblinkinfo",
}
CAPTURED = {
    "ibroute": (IBROUTE, "ibroute"), "opensm-lfts.dump": (LFTS_DUMP, "opensm-lfts"),
    "dump_fts-M": (DUMP_FTS_M, "ibroute-mcast"), "opensm.mcfdbs": (MCFDBS, "opensm-mcfdbs"),
    "opensm.fdbs": (FDBS, "opensm-fdbs"), "opensm-sa.dump": (SA_DUMP, "opensm-sa-dump"),
    "saquery-m": (SAQUERY_M, "saquery-mcmember"), "guid2lid": (GUID2LID, "guid2lid"),
    "sminfo": (SMINFO, "sminfo"), "opensm.log": (OPENSM_LOG, "opensm-log"),
}


def _sample(name: str) -> tuple[list[str], str]:
    if name in CAPTURED:
        text, fmt = CAPTURED[name]
        return text.splitlines(), fmt
    path = SHARED_PUBLIC / name
    if not path.is_file():
        pytest.skip(f"shared corpus file {name} not found")
    return path.read_text(encoding="utf-8", errors="replace").splitlines(), CORPUS[name]


def _check_ranges(state: FabricState) -> None:
    for table in state.lfts.values():
        assert table.dtype == np.uint8 and len(table) <= 0xC000
    for entries in state.mfts.values():
        for mlid, ports in entries.items():
            assert 0xC000 <= mlid <= 0xFFFE and all(0 <= p <= 254 for p in ports)
    for lid, lmc in state.lids.values():
        assert 0 <= lid <= 0xBFFF and 0 <= lmc <= 7
    for group in state.groups.values():
        assert 0xC000 <= group.mlid <= 0xFFFE
        assert all(0 <= s <= 0xF for s in group.members.values())


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CORPUS) + sorted(CAPTURED)), st.lists(OPS, min_size=1,
                                                                    max_size=6))
def test_mutated_state_files_read_or_fail_cleanly(name, ops):
    lines, fmt = _sample(name)
    mutated = mutate(lines, ops).split("\n")
    detect_state(mutated)  # must not raise either
    try:
        state = parse_state(mutated, fmt, name)
    except TopologyError as exc:
        assert name in str(exc) and "\n" not in str(exc)
    else:
        _check_ranges(state)
