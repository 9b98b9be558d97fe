"""Subnet *state* read from the files operators already have: LIDs, LFTs, MFTs, groups.

>>> state = load_state_dir("/var/log/opensm-dumps")    # every state file in a directory
>>> found = read_state_dir("dumps/")   # the same, with the files skipped and disagreements
>>> state = load_state("opensm.mcfdbs")                # one file, format detected
>>> apply_state(state, fabric, sm)                     # show it on a fabric + SM mirror

Formats: OpenSM's ``opensm-lfts.dump``, ``opensm.fdbs``, ``opensm.mcfdbs``,
``opensm-sa.dump`` and ``guid2lid``; ``ibroute`` / ``dump_fts`` (and ``-M``), ``saquery -g``
/ ``-m``, ``sminfo``; ibdiagnet's ``.fdbs`` / ``.mcfdbs``; and the LIDs of topology files
(``opensm-subnet.lst``, ibdiagnet ``.lst`` and ``db_csv``, ``iblinkinfo``, ``ibnetdiscover``).
"""

from __future__ import annotations

from ibviz.topology.state._reader import DumpIncomplete
from ibviz.topology.state.apply import apply_state
from ibviz.topology.state.directory import load_state_dir, read_state_dir
from ibviz.topology.state.load import (
    OPENSM_DUMPS,
    READERS,
    STATE_FORMATS,
    TOPOLOGY_STATE_FORMATS,
    detect_state,
    load_state,
    load_state_files,
    parse_dump,
    parse_state,
)
from ibviz.topology.state.model import NO_PORT, FabricState, GroupState, SmState

__all__ = ["NO_PORT", "OPENSM_DUMPS", "READERS", "STATE_FORMATS", "TOPOLOGY_STATE_FORMATS",
           "DumpIncomplete", "FabricState", "GroupState", "SmState", "apply_state",
           "detect_state", "load_state", "load_state_dir", "load_state_files", "parse_dump",
           "parse_state", "read_state_dir"]
