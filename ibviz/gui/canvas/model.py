"""What the canvas draws, as numpy arrays: node kinds, positions and states, link ends,
ports, speeds and states. Built once per fabric in O(nodes + links); every paint and
hit test works on these arrays, never on one Python object per node. Also the questions
the canvas asks of them: what is under the mouse, which nodes match a search, and the
text of labels and tooltips. numpy only; no Qt.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

import numpy as np

from ibviz.core.fabric import Fabric
from ibviz.core.layout import KIND_CODES, graph_hints, subnet_indices
from ibviz.core.layout_detail import detail_graph
from ibviz.core.model import Node, NodeKind, PortRef
from ibviz.core.naming import lid_text, node_name
from ibviz.core.phy import link_rate_gbps
from ibviz.gui.canvas.detail import CanvasDetail
from ibviz.gui.palette import speed_class, state_index

Position = tuple[float, float]
LinkKey = tuple[PortRef, PortRef]


@dataclass
class CanvasModel:
    """Arrays describing one fabric on the canvas (index = position in ``guids``)."""

    fabric: Fabric
    guids: list[int]
    index: dict[int, int]
    kinds: np.ndarray
    """``(N,)`` int8 kind codes (:data:`ibviz.core.layout.KIND_CODES`)."""
    xy: np.ndarray
    """``(N, 2)`` float64 scene positions (1.0 = one CA slot)."""
    keys: list[LinkKey]
    ends: np.ndarray
    """``(L, 2)`` node indices of each link's ends, in ``Link.key`` order."""
    ports: np.ndarray
    """``(L, 2)`` port numbers of each link's ends."""
    speed: np.ndarray
    """``(L,)`` int8 index into :data:`ibviz.gui.palette.SPEED_CLASSES`."""
    state: np.ndarray = field(init=False)
    down: np.ndarray = field(init=False)
    tree: np.ndarray = field(init=False)
    member_ports: list[PortRef] = field(default_factory=list)
    highlight_key: str = "tree"
    pinned: list[int] = field(default_factory=list)
    """Indices of the nodes whose labels always stay, most important first (labels.py)."""
    label_scale: float = 1.0
    label_sides: dict[int, int] = field(default_factory=dict)
    """The side each node's label took (labels.py), kept while the layout and zoom stay
    so a label does not jump when the pinned nodes change between steps."""
    label_sides_key: tuple[float, ...] = ()
    detail: CanvasDetail | None = None
    """Badges and bundles (level of detail) of a tiered layout; None for a force layout."""
    _key_index: dict[LinkKey, int] | None = None
    _sorted: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.state = np.zeros(len(self.guids), np.int8)
        self.down = np.zeros(len(self.keys), bool)
        self.tree = np.zeros(len(self.keys), bool)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, fabric: Fabric, positions: dict[int, Position] | None = None) -> CanvasModel:
        """Arrays for ``fabric``; lay it out unless ``positions`` covers every node."""
        guids = list(fabric.nodes)
        index = {g: i for i, g in enumerate(guids)}
        kinds = np.fromiter((KIND_CODES[n.kind] for n in fabric.nodes.values()), np.int8,
                            len(guids))
        keys = list(fabric.links)
        ends = np.fromiter((v for a, b in keys for v in (index[a[0]], index[b[0]], a[1], b[1])),
                           np.int64, 4 * len(keys)).reshape(-1, 4)
        model = cls(fabric, guids, index, kinds, np.zeros((len(guids), 2)), keys,
                    ends[:, 0:2].copy(), ends[:, 2:4].copy(), _speed_classes(fabric))
        model.xy = model._positions_for(positions)
        return model

    @property
    def key_index(self) -> dict[LinkKey, int]:
        """Link key -> link index (built on first use)."""
        if self._key_index is None:
            self._key_index = {k: i for i, k in enumerate(self.keys)}
        return self._key_index

    def _positions_for(self, positions: dict[int, Position] | None) -> np.ndarray:
        """Positions (laid out, or ``positions`` with new nodes placed beside their
        neighbours); also sets :attr:`detail` from the tiered layout."""
        known = positions or {}
        missing = [i for i, g in enumerate(self.guids) if g not in known]
        aggregation, host = graph_hints(self.fabric, self.kinds)
        result = detail_graph(self.kinds, subnet_indices(self.fabric), self.ends,
                              aggregation=aggregation, host=host)
        if len(missing) == len(self.guids):
            xy = result.xy
        else:
            xy = place_new_nodes(np.array([known.get(g, (np.nan, np.nan)) for g in self.guids],
                                          float), self.ends, missing)
        self.detail = CanvasDetail.build(result, xy, self.ends) if len(self.guids) else None
        return xy

    # -------------------------------------------------------------- positions
    def positions(self) -> dict[int, Position]:
        return {g: (float(x), float(y)) for g, (x, y) in zip(self.guids, self.xy.tolist(),
                                                              strict=True)}

    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, top, right, bottom)`` of all node centres (a unit square if none)."""
        if not len(self.xy):
            return (0.0, 0.0, 1.0, 1.0)
        lo, hi = self.xy.min(axis=0), self.xy.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def xy_of(self, guids: object) -> np.ndarray:
        """``(K, 2)`` positions of the nodes with these GUIDs (a sequence or an integer
        array; KeyError naming the first unknown one)."""
        wanted = np.asarray(guids).ravel()
        if not len(wanted):
            return np.zeros((0, 2))
        if self._sorted is None:
            keys = np.array(self.guids, np.uint64)
            order = np.argsort(keys)
            self._sorted = (keys[order], order)
        keys, order = self._sorted
        wanted = wanted.astype(np.uint64) if wanted.dtype != np.uint64 else wanted
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        if not found.all():
            raise KeyError(f"no node with GUID {int(wanted[~found][0]):#018x} on the canvas")
        return self.xy[order[at]]

    # ----------------------------------------------------------------- states
    def set_states(self, states: dict[int, str]) -> None:
        state = np.zeros(len(self.guids), np.int8)
        for guid, name in states.items():
            i = self.index.get(guid)
            code = state_index(name)
            if i is not None:
                state[i] = code
        self.state = state

    def link_mask(self, keys: object) -> np.ndarray:
        """Boolean ``(L,)`` mask of the links among ``keys`` (either end order; unknown
        keys are ignored: the link may have been removed since)."""
        mask = np.zeros(len(self.keys), bool)
        for a, b in keys:  # type: ignore[attr-defined]
            i = self.key_index.get((a, b), self.key_index.get((b, a)))
            if i is not None:
                mask[i] = True
        return mask


def _speed_classes(fabric: Fabric) -> np.ndarray:
    """Speed class of every link, computed once per distinct (width, speed) pair."""
    known: dict[tuple[int, int], int] = {}
    out = []
    for link in fabric.links.values():
        key = (id(link.width), id(link.speed))  # enum members are singletons; id() is fast
        cls = known.get(key)
        if cls is None:
            cls = known[key] = speed_class(link_rate_gbps(link.width, link.speed))
        out.append(cls)
    return np.array(out, np.int8)


def place_new_nodes(xy: np.ndarray, ends: np.ndarray, missing: list[int]) -> np.ndarray:
    """Fill NaN rows of ``xy``: beside the mean of placed neighbours, else in a row below."""
    xy = xy.copy()
    if not missing:
        return xy
    placed = ~np.isnan(xy[:, 0])
    lo = np.nanmin(xy, axis=0) if placed.any() else np.zeros(2)
    hi = np.nanmax(xy, axis=0) if placed.any() else np.zeros(2)
    spare = 0
    for i in missing:
        peers = np.concatenate([ends[ends[:, 0] == i, 1], ends[ends[:, 1] == i, 0]])
        peers = peers[placed[peers]]
        if len(peers):
            xy[i] = xy[peers].mean(axis=0) + (0.6, 1.2)
        else:
            xy[i] = (lo[0] + spare, hi[1] + 2.0)
            spare += 1
        placed[i] = True
    return xy


LABEL_CHARS = 22


def nearest_node(xy: np.ndarray, point: tuple[float, float], radius: float) -> int:
    """Index of the node centre nearest ``point`` if within ``radius``, else -1."""
    if not len(xy):
        return -1
    d2 = np.einsum("ij,ij->i", xy - point, xy - point)
    i = int(np.argmin(d2))
    return i if d2[i] <= radius * radius else -1


def nearest_link(xy: np.ndarray, ends: np.ndarray, point: tuple[float, float],
                 tolerance: float) -> int:
    """Index of the link segment nearest ``point`` if within ``tolerance``, else -1."""
    if not len(ends):
        return -1
    a, b = xy[ends[:, 0]], xy[ends[:, 1]]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", np.asarray(point) - a, ab) / np.maximum(length2, 1e-12),
                0.0, 1.0)
    closest = a + ab * t[:, None] - point
    d2 = np.einsum("ij,ij->i", closest, closest)
    i = int(np.argmin(d2))
    return i if d2[i] <= tolerance * tolerance else -1


def search_nodes(fabric: Fabric, text: str) -> list[int]:
    """GUIDs of the nodes matching ``text``: a GUID (with or without ``0x``, or its last 4+
    hex digits), a LID, or a name / description substring (case-insensitive)."""
    query = text.strip()
    if not query:
        return []
    hits = [n.guid for n in fabric.find(query)]
    digits = query.lower().removeprefix("0x")
    if len(digits) >= 4 and all(c in string.hexdigits for c in digits):
        hits += [g for g in fabric.nodes if f"{g:016x}".endswith(digits)]
    return list(dict.fromkeys(hits))


def label_lines(node: Node) -> tuple[str, str]:
    """Short name and LID text drawn beside a node when zoomed in."""
    name = node_name(node)
    if len(name) > LABEL_CHARS:
        name = name[:LABEL_CHARS - 1] + "\u2026"
    lids = [p for p in node.lid_ports() if p.lid]
    if not lids:
        return name, ""
    shown = [_lid_text(p.lid, p.lmc) for p in lids[:2]]
    more = ", \u2026" if len(lids) > 2 else ""
    return name, "LID " + ", ".join(shown) + more


def tooltip_text(node: Node, state: str) -> str:
    """Name, kind, GUID, LIDs/LMC per port and state of ``node`` (plain text lines)."""
    kind = {NodeKind.SWITCH: "Switch", NodeKind.CA: "Channel adapter",
            NodeKind.ROUTER: "Router"}[node.kind]
    title = node.description or node.name or f"{node.guid:#018x}"
    lines = [title]
    if node.name and node.name != title:
        lines.append(f"name {node.name}")
    lines.append(f"{kind}, {node.num_ports} ports, GUID {node.guid:#018x}")
    for port in node.lid_ports()[:8]:
        where = "port 0 (management)" if node.kind is NodeKind.SWITCH else f"port {port.num}"
        lid = _lid_text(port.lid, port.lmc) if port.lid else "none"
        lines.append(f"{where}: LID {lid}, LMC {port.lmc}, {port.state.label}")
    if len(node.lid_ports()) > 8:
        lines.append(f"\u2026 {len(node.lid_ports()) - 8} more ports")
    lines.append(f"state: {state.replace('_', ' ')}")
    return "\n".join(lines)


def _lid_text(lid: int, lmc: int) -> str:
    return lid_text(lid, lmc)
