"""LIDs: OpenSM's ``guid2lid`` cache and the LIDs that topology files carry.

``guid2lid`` (in ``OSM_CACHE_DIR``) has one port per line, blank lines between::

    0x0002c90300000001 0x0003 0x0003

(port GUID, base LID, top LID: LMC = log2(top - base + 1)). The topology formats that
print LIDs (``opensm-subnet.lst`` / ibdiagnet ``.lst``, ``iblinkinfo``, ibdiagnet
``db_csv``, ``ibnetdiscover``) are read with their topology readers and each port's LID
is taken from the result.
"""

from __future__ import annotations

import re

from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind
from ibviz.topology.state._reader import StateReader

_GUID2LID_RE = re.compile(r"^0x([0-9A-Fa-f]{1,16})\s+0x([0-9A-Fa-f]{1,4})\s+0x([0-9A-Fa-f]{1,4})"
                          r"\s*$")


def parse_guid2lid(reader: StateReader) -> None:
    """``guid2lid``: port GUID -> (base LID, LMC)."""
    for idx, line in reader.body():
        m = _GUID2LID_RE.match(line.strip())
        if m is None:
            raise reader.error(f"cannot read {line.strip()!r}", idx,
                               "'0x<port GUID> 0x<base LID> 0x<top LID>'")
        guid = reader.guid(m[1], idx)
        base = reader.unicast_lid(m[2], idx)
        top = reader.unicast_lid(m[3], idx, column=line.index(m[3]) + 1)
        count = top - base + 1
        lmc = count.bit_length() - 1
        if count <= 0 or count != 1 << lmc or lmc > 7 or base % count:
            raise reader.error(f"LIDs {m[2]}-{m[3]} are not one LMC range", idx,
                               "a top LID = base + 2**LMC - 1 with an aligned base")
        reader.state.set_lid(guid, base, lmc)


def lids_from_topology(reader: StateReader, fabric: Fabric) -> None:
    """Take every port's LID from a fabric read by a topology reader."""
    for node in fabric.nodes.values():
        for port in node.lid_ports():
            guid = node.guid if node.kind is NodeKind.SWITCH else port.guid
            if guid and port.lid:
                reader.state.set_lid(guid, port.lid, port.lmc)
                if node.description:
                    reader.state.descriptions.setdefault(guid, node.description)
