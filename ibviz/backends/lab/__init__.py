"""The OpenSM lab: the real OpenSM managing a simulated fabric (ibsim), shown live.

Public names: :class:`OpenSmLab` (the backend), :func:`run_lab_scenario` and
:data:`LAB_SCENARIOS` (ready-made failover runs), :data:`LAB_MGID`, :data:`OWNED_MLID`,
:data:`MODE2_NOTE`, :data:`STATE_FILES` and :class:`MissingLabTools`. The parts the lab is
composed of live in the modules of this package (see :mod:`ibviz.backends.lab.opensm_lab`).
"""

from __future__ import annotations

from ibviz.backends.lab.failover import MODE2_NOTE, OWNED_MLID
from ibviz.backends.lab.opensm_lab import PHASES, OpenSmLab
from ibviz.backends.lab.scenarios import LAB_MGID, LAB_SCENARIOS, run_lab_scenario
from ibviz.backends.lab.state import STATE_FILES
from ibviz.backends.lab.tools import MissingLabTools

__all__ = ["LAB_MGID", "LAB_SCENARIOS", "MODE2_NOTE", "OWNED_MLID", "PHASES", "STATE_FILES",
           "MissingLabTools", "OpenSmLab", "run_lab_scenario"]
