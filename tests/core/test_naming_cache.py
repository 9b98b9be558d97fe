"""The name indexes are cached per fabric: a later fabric at the address of a freed one
(the same ``id``), with as many nodes, gets its own names, not the old fabric's."""

from __future__ import annotations

from ibviz.app import pinned
from ibviz.core import naming
from ibviz.topology import open_fabric


def test_a_fabric_at_a_reused_address_gets_its_own_names() -> None:
    old, new = open_fabric("fig10"), open_fabric("fig10")
    for node in new.nodes.values():
        node.description = f"renamed {node.name} (x)"
    naming._short_index(old)
    pinned.name_index(old)
    # what the caches would hold had ``old`` been freed and ``new`` made at its address
    naming._short[id(new)] = naming._short.pop(id(old))
    pinned._names[id(new)] = pinned._names.pop(id(old))
    node = next(n for n in new.nodes.values() if n.name == "first-node")
    assert naming.shorten_names(f"{node.label} failed", new) == "first-node failed"
    assert pinned.name_index(new)[0].get(node.description.lower()) == node.guid
    assert naming._short_index(new) is naming._short_index(new)  # cached for itself
