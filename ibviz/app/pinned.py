"""Which nodes keep their labels on the canvas at every zoom: the labels that matter.

In priority order: the selected node; for each protected group, the node serving it, its
primary, takeover and senders (read from :func:`ibviz.core.failover.roles.group_roles`,
the roles' one source of truth); the search hits; and every node that a shown narration
sentence (the failover narration, a lesson step) names. No Qt.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

from ibviz.core.failover.roles import SERVES, group_roles
from ibviz.core.naming import node_name

WORD = re.compile(r"[A-Za-z0-9][\w.:/-]*[A-Za-z0-9]|[A-Za-z0-9]")
"""A word that may be a node's name (a director's ``lassen-ibcore1-mgt1/L05/U1`` too)."""
_names: dict[int, tuple[weakref.ref, int, dict[str, int], list[str]]] = {}
"""id(fabric) -> (the fabric, node count, lower-case name -> GUID, names with a space),
rebuilt when the count changes (the weak reference tells a later fabric at the same
address apart)."""


def name_index(fabric: Any) -> tuple[dict[str, int], list[str]]:
    """Lower-case node names, descriptions, the names the canvas shows (:func:`node_name`:
    what a window's sentences say) and GUIDs in hex -> GUID; and the names with a space."""
    key, count = id(fabric), len(fabric.nodes)
    cached = _names.get(key)
    if cached is not None and cached[0]() is fabric and cached[1] == count:
        return cached[2], cached[3]
    index: dict[str, int] = {}
    for guid, node in fabric.nodes.items():
        for text in (node.name, node.description, node_name(node), f"{guid:#018x}"):
            if text:
                index.setdefault(text.lower(), guid)
    if len(_names) > 8:
        _names.clear()
    spaced = [name for name in index if " " in name]
    _names[key] = (weakref.ref(fabric), count, index, spaced)
    return index, spaced


def named_nodes(fabric: Any, text: str) -> list[int]:
    """Nodes a sentence names, in the order named (``second-node`` in "... served by
    second-node (takeover) after 23 \u00b5s")."""
    index, spaced = name_index(fabric)
    out: dict[int, None] = {}
    lowered = text.lower()
    for word in WORD.findall(lowered):
        guid = index.get(word)
        if guid is not None:
            out[guid] = None
    for name in spaced:  # names with spaces ("first node"), if any
        if name in lowered:
            out[index[name]] = None
    return list(out)


def pinned_nodes(session: Any, t_us: float | None, sentences: Iterable[str] = (),
                 selected: int | None = None, hits: Iterable[int] = ()) -> list[int]:
    """The nodes whose labels stay, most important first (duplicates dropped)."""
    out: dict[int, None] = {}
    if selected is not None:
        out[selected] = None
    if session is not None:
        for name in session.controller.groups:
            roles = group_roles(session, name, t_us)
            for guid, state in roles.items():
                if state.status == SERVES:
                    out[guid] = None
            for guid in roles:
                out[guid] = None
        for guid in hits:
            out[guid] = None
        for text in sentences:
            for guid in named_nodes(session.fabric, text):
                out[guid] = None
    return list(out)
