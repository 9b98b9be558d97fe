"""Compare two fabrics: nodes and links added, removed and changed.

The live backends diff successive snapshots of a real fabric; round-trip tests use
an empty diff as "equal fabric".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ibviz.core.model import Link, Node, Port, PortRef

_NODE_FIELDS = [f.name for f in fields(Node) if f.compare and f.name not in ("ports", "guid")]
_PORT_FIELDS = [f.name for f in fields(Port) if f.name != "num"]


@dataclass(frozen=True, slots=True)
class Change:
    """One attribute that differs: ``where`` is e.g. ``description`` or ``port[3].lid``."""

    where: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.where}: {_fmt(self.old)} -> {_fmt(self.new)}"


@dataclass
class FabricDiff:
    nodes_added: list[int] = field(default_factory=list)
    nodes_removed: list[int] = field(default_factory=list)
    nodes_changed: dict[int, list[Change]] = field(default_factory=dict)
    links_added: list[tuple[PortRef, PortRef]] = field(default_factory=list)
    links_removed: list[tuple[PortRef, PortRef]] = field(default_factory=list)
    links_changed: dict[tuple[PortRef, PortRef], list[Change]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.nodes_added or self.nodes_removed or self.nodes_changed
                    or self.links_added or self.links_removed or self.links_changed)

    def __bool__(self) -> bool:
        return not self.is_empty

    def summary(self, limit: int = 20) -> str:
        """Human text, one line per difference (at most ``limit`` lines)."""
        lines: list[str] = []
        lines += [f"+ node {g:#018x}" for g in self.nodes_added]
        lines += [f"- node {g:#018x}" for g in self.nodes_removed]
        for g, changes in self.nodes_changed.items():
            lines += [f"~ node {g:#018x} {c}" for c in changes]
        lines += [f"+ link {a}-{b}" for a, b in self.links_added]
        lines += [f"- link {a}-{b}" for a, b in self.links_removed]
        for (a, b), changes in self.links_changed.items():
            lines += [f"~ link {a}-{b} {c}" for c in changes]
        if not lines:
            return "no differences"
        more = len(lines) - limit
        return "\n".join(lines[:limit] + ([f"... and {more} more"] if more > 0 else []))

    def to_dict(self) -> dict[str, Any]:
        def link_id(key: tuple[PortRef, PortRef]) -> str:
            return f"{key[0]}-{key[1]}"

        return {
            "nodes_added": [f"{g:#018x}" for g in self.nodes_added],
            "nodes_removed": [f"{g:#018x}" for g in self.nodes_removed],
            "nodes_changed": {f"{g:#018x}": [str(c) for c in cs]
                              for g, cs in self.nodes_changed.items()},
            "links_added": [link_id(k) for k in self.links_added],
            "links_removed": [link_id(k) for k in self.links_removed],
            "links_changed": {link_id(k): [str(c) for c in cs]
                              for k, cs in self.links_changed.items()},
        }


def _fmt(value: Any) -> str:
    if hasattr(value, "label") and not isinstance(value, str):
        return str(value.label)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFF:
        return f"{value:#x}"
    return repr(value)


def diff_nodes(old: Node, new: Node) -> list[Change]:
    """Attribute and port differences between two versions of one node."""
    changes = [Change(name, getattr(old, name), getattr(new, name))
               for name in _NODE_FIELDS if getattr(old, name) != getattr(new, name)]
    for num in sorted(old.ports.keys() | new.ports.keys()):
        po, pn = old.ports.get(num), new.ports.get(num)
        if po is None or pn is None:
            changes.append(Change(f"port[{num}]", po is not None, pn is not None))
            continue
        if po == pn:
            continue
        changes += [Change(f"port[{num}].{name}", getattr(po, name), getattr(pn, name))
                    for name in _PORT_FIELDS if getattr(po, name) != getattr(pn, name)]
    return changes


def _diff_links(old: Link, new: Link) -> list[Change]:
    return [Change(name, getattr(old, name), getattr(new, name))
            for name in ("width", "speed") if getattr(old, name) != getattr(new, name)]


def diff_fabrics(old: Any, new: Any) -> FabricDiff:
    """Differences from fabric ``old`` to fabric ``new`` (nodes matched by GUID)."""
    d = FabricDiff()
    old_nodes, new_nodes = old.nodes, new.nodes
    d.nodes_added = sorted(new_nodes.keys() - old_nodes.keys())
    d.nodes_removed = sorted(old_nodes.keys() - new_nodes.keys())
    for guid in sorted(old_nodes.keys() & new_nodes.keys()):
        a, b = old_nodes[guid], new_nodes[guid]
        if a != b:
            changes = diff_nodes(a, b)
            if changes:
                d.nodes_changed[guid] = changes
    d.links_added = sorted(new.links.keys() - old.links.keys())
    d.links_removed = sorted(old.links.keys() - new.links.keys())
    for key in sorted(old.links.keys() & new.links.keys()):
        changes = _diff_links(old.links[key], new.links[key])
        if changes:
            d.links_changed[key] = changes
    return d
