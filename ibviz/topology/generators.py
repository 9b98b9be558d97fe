"""Synthetic fabrics: fat trees, leaf/spine Clos networks, rings, meshes and tori.

Every generator is deterministic: the same arguments give the same node names,
descriptions, GUIDs (see :mod:`ibviz.topology._guid_plan`), port numbers and LIDs,
so ``fat_tree(4, 2) == fat_tree(4, 2)``. HCAs are named ``node0001`` ... with the
description ``node0001 HCA-1``; switches carry firmware-style descriptions such as
``MF0;leaf01:MQM8790/U1``. LIDs stay 0 (cabled ports INIT, as before the first SM
sweep) unless ``assign_lids=True``, which numbers switches first and then CAs, with
CA base LIDs aligned to ``2**lmc``, and sets cabled ports ACTIVE (``lmc > 0``
without ``assign_lids=True`` is an error).

>>> generate("leaf-spine:hcas=64,hcas_per_leaf=16")
Fabric('leaf-spine:hcas=64,hcas_per_leaf=16': 20 switches, 64 CAs, 0 routers, 128 links)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import TypeVar

from ibviz.core.bulk import Progress
from ibviz.core.fabric import Fabric
from ibviz.core.phy import LinkSpeed, LinkWidth
from ibviz.topology._guid_plan import FabricBuilder, number_width
from ibviz.topology._spec import parse_spec
from ibviz.topology.errors import TopologyWarning

MAX_SWITCH_PORTS = 254
"""NodeInfo.NumPorts is 8 bits wide and port 255 is reserved."""
MAX_HCAS = 1 << 17
_AXES = "xyzwvu"
_EVERY = 4096
"""Generators report progress once per this many items."""
_T = TypeVar("_T")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def _counted(items: Iterable[_T], progress: Progress | None, done: int, total: int
             ) -> Iterator[_T]:
    """``items``, telling ``progress`` ``(done + i, total)`` every :data:`_EVERY` items."""
    if progress is None:
        yield from items
        return
    for i, item in enumerate(items):
        if i % _EVERY == 0:
            progress(done + i, total)
        yield item


def fat_tree(k: int, n: int, *, width: LinkWidth = LinkWidth.X4,
             speed: LinkSpeed = LinkSpeed.HDR, assign_lids: bool = False,
             lmc: int = 0, progress: Progress | None = None) -> Fabric:
    """A k-ary n-tree (Petrini & Vanneschi, 1997).

    ``k**n`` single-port HCAs and ``n`` levels of ``k**(n-1)`` switches, each of radix
    ``2k``. Switch ``<w, l>`` (``w`` a word of ``n-1`` base-``k`` digits, level ``l``
    counted from the top, 0..n-1) connects to ``<w', l+1>`` when ``w`` and ``w'`` differ
    at most in digit ``l``; HCA ``p_0..p_{n-1}`` hangs on leaf ``<p_0..p_{n-2}, n-1>``.
    Ports 1..k of a switch go down, ports k+1..2k up (unused on the top level).

    Parameters
    ----------
    k:
        Arity: HCAs per leaf switch and up-links per switch (>= 2).
    n:
        Number of switch levels (>= 1).
    width, speed:
        Of every cable.
    assign_lids, lmc:
        Give sequential LIDs (switches first) and set cabled ports ACTIVE.
    progress:
        Told ``(done, total)`` as it builds, level by level: each switch, switch cable
        and host (with its cable) counts one.

    Returns
    -------
    Fabric
        Switches are named ``L<level>-sw<index>`` with level 1 at the leaves.
    """
    _check_int("k", k, 2, MAX_SWITCH_PORTS // 2)
    _check_int("n", n, 1)
    if k ** n > MAX_HCAS:
        raise ValueError(f"a {k}-ary {n}-tree has {k ** n} HCAs; at most {MAX_HCAS} supported")
    per_level, hosts = k ** (n - 1), k ** n
    b = FabricBuilder(f"fat-tree-k{k}-n{n}", width, speed)
    sw_w, host_w = number_width(per_level), number_width(hosts, 4)
    levels: list[list[int]] = [[] for _ in range(n)]  # index l = Petrini level (0 = top)
    switches, trunks = n * per_level, (n - 1) * per_level * k
    total = switches + trunks + hosts
    for lvl in range(n, 0, -1):  # leaves first, so they get the lowest switch GUIDs
        if progress is not None:
            progress((n - lvl) * per_level, total)
        levels[n - lvl] = [b.switch(f"L{lvl}-sw{i + 1:0{sw_w}d}", 2 * k)
                           for i in range(per_level)]
    b.cables(_counted(((child, k + 1 + v, levels[lv][x + (v - digit) * weight], 1 + digit)
                       for lv in range(n - 1) for weight in [k ** (n - 2 - lv)]
                       for x, child in enumerate(levels[lv + 1])
                       for digit in [(x // weight) % k] for v in range(k)),
                      progress, switches, total))
    leaves = levels[n - 1]
    b.cables(_counted(((b.ca(f"node{h + 1:0{host_w}d}"), 1, leaves[h // k], h % k + 1)
                       for h in range(hosts)), progress, switches + trunks, total))
    fabric = b.finish(assign_lids, lmc)
    if progress is not None:
        progress(total, total)
    return fabric


def leaf_spine(hcas: int, *, hcas_per_leaf: int = 16, oversubscription: float = 1.0,
               spines: int | None = None, dual_port: bool = False, switch_ports: int = 40,
               width: LinkWidth = LinkWidth.X4, speed: LinkSpeed = LinkSpeed.HDR,
               assign_lids: bool = False, lmc: int = 0) -> Fabric:
    """A two-level leaf/spine (folded Clos) fabric of ``hcas`` HCAs.

    Each leaf has ``hcas_per_leaf`` HCA ports (ports 1..h) and
    ``u = ceil(hcas_per_leaf / oversubscription)`` uplinks (ports h+1..h+u); uplink
    ``j`` goes to spine ``j mod spines``, so ``spines < u`` gives parallel links.

    With ``dual_port=True`` every HCA has two ports cabled to two planes of leaves
    (port 1 to plane A, port 2 to plane B, ``ceil(hcas / h)`` leaves each; the spines
    are shared so it stays one subnet). Only when all ``2 * hcas`` ports fit on one
    leaf do both ports go to the same leaf.

    Spines need ``leaves * ceil(u / spines)`` ports. When that exceeds
    ``switch_ports`` the spines are modelled as director switches of that radix
    (one node per director, description ``CS8500``); above 254 ports (more than
    NodeInfo.NumPorts can express) a warning is added to ``fabric.warnings``.

    Parameters
    ----------
    hcas:
        Number of HCAs (>= 1).
    hcas_per_leaf:
        HCA ports per leaf switch (dual-port HCAs count twice).
    oversubscription:
        Down/up bandwidth ratio of a leaf (> 0; 1 = non-blocking).
    spines:
        Number of spine switches, 1..u (default ``u``: one link from each leaf to each).
    dual_port:
        Two-port HCAs, as described above.
    switch_ports:
        Radix of the leaf switches (and of the spines when it suffices).
    width, speed, assign_lids, lmc:
        As for :func:`fat_tree`.

    Raises
    ------
    ValueError
        If a leaf has too few ports for its HCA ports plus uplinks, or on bad arguments.
    """
    _check_int("hcas", hcas, 1, MAX_HCAS)
    h = _check_int("hcas_per_leaf", hcas_per_leaf, 1)
    sp = _check_int("switch_ports", switch_ports, 2, MAX_SWITCH_PORTS)
    if isinstance(oversubscription, bool) or not isinstance(oversubscription, int | float) \
            or not 0 < oversubscription < math.inf:
        raise ValueError(f"oversubscription must be a positive number, not {oversubscription!r}")
    u = math.ceil(round(h / oversubscription, 9))
    if h + u > sp:
        raise ValueError(f"a leaf needs {h} HCA ports + {u} uplinks = {h + u} ports but "
                         f"switch_ports={sp}; lower hcas_per_leaf, raise oversubscription "
                         "or switch_ports")
    n_spines = u if spines is None else _check_int("spines", spines, 1, u)
    single_leaf = dual_port and 2 * hcas <= h
    per_plane = math.ceil(hcas / h)
    n_leaves = 1 if single_leaf else per_plane * (2 if dual_port else 1)
    links_per_spine = math.ceil(u / n_spines)
    spine_ports = max(sp, n_leaves * links_per_spine)

    b = FabricBuilder(f"leaf-spine-{hcas}", width, speed)
    leaf_w, host_w = number_width(n_leaves), number_width(hcas, 4)
    leaves = [b.switch(f"leaf{i + 1:0{leaf_w}d}", sp) for i in range(n_leaves)]
    spine_guids = [b.switch(f"spine{i + 1:0{number_width(n_spines)}d}", spine_ports)
                   for i in range(n_spines)]
    counts = [u // n_spines + (1 if s < u % n_spines else 0) for s in range(n_spines)]
    for li, leaf in enumerate(leaves):
        for j in range(u):
            s = j % n_spines
            b.cable(leaf, h + 1 + j, spine_guids[s], li * counts[s] + j // n_spines + 1)
    for i in range(hcas):
        hca = b.ca(f"node{i + 1:0{host_w}d}", 2 if dual_port else 1)
        if single_leaf:
            b.cable(hca, 1, leaves[0], 2 * i + 1)
            b.cable(hca, 2, leaves[0], 2 * i + 2)
        else:
            b.cable(hca, 1, leaves[i // h], i % h + 1)
            if dual_port:
                b.cable(hca, 2, leaves[per_plane + i // h], i % h + 1)
    if spine_ports > MAX_SWITCH_PORTS:
        b.fabric.warnings.append(TopologyWarning(
            f"spines have {spine_ports} ports, more than the {MAX_SWITCH_PORTS} a real switch "
            "can report; they stand for director switches and cannot be simulated by ibsim",
            kind="generator"))
    return b.finish(assign_lids, lmc)


def torus(dims: tuple[int, ...], *, hcas_per_switch: int = 1, wrap: bool = True,
          switch_ports: int | None = None, width: LinkWidth = LinkWidth.X4,
          speed: LinkSpeed = LinkSpeed.HDR, assign_lids: bool = False,
          lmc: int = 0) -> Fabric:
    """A ring (one dimension), 2-D or 3-D torus (or mesh, ``wrap=False``) of switches.

    Switch ``sw-x<i>-y<j>...`` has HCAs on ports 1..``hcas_per_switch``; then, per
    dimension ``d``, port ``h+1+2d`` towards the next coordinate and ``h+2+2d``
    towards the previous one. A dimension of size 1 has no links. A dimension of size
    2 has a single link between its two switches even with ``wrap=True``: the
    wrap-around cable would join the same pair again, so it is left out (the
    ``h+2+2d`` port of the first and ``h+1+2d`` port of the second stay free).

    Parameters
    ----------
    dims:
        Size of each dimension (1-6 dimensions, each >= 1).
    hcas_per_switch:
        Single-port HCAs per switch (>= 0).
    wrap:
        Torus (True) or mesh (False).
    switch_ports:
        Switch radix; default ``hcas_per_switch + 2 * len(dims)``, the minimum.
    width, speed, assign_lids, lmc:
        As for :func:`fat_tree`.
    """
    dims = tuple(dims)
    if not 1 <= len(dims) <= len(_AXES):
        raise ValueError(f"dims must have 1-{len(_AXES)} dimensions, got {len(dims)}")
    for i, size in enumerate(dims):
        _check_int(f"dims[{i}]", size, 1)
    hps = _check_int("hcas_per_switch", hcas_per_switch, 0)
    need = hps + 2 * len(dims)
    radix = need if switch_ports is None else _check_int("switch_ports", switch_ports, 1)
    if radix < need or radix > MAX_SWITCH_PORTS:
        raise ValueError(f"a switch needs {hps} HCA ports + {2 * len(dims)} torus ports = "
                         f"{need} ports (at most {MAX_SWITCH_PORTS}) but switch_ports={radix}")
    n_sw = math.prod(dims)
    if n_sw * hps > MAX_HCAS or n_sw > MAX_HCAS:
        raise ValueError(f"{n_sw} switches with {hps} HCAs each is too large")
    kind = "torus" if wrap else "mesh"
    b = FabricBuilder(f"{kind}-{'x'.join(map(str, dims))}", width, speed)
    coords = list(itertools.product(*(range(s) for s in dims)))
    sws = [b.switch("sw-" + "-".join(f"{_AXES[d]}{c[d]}" for d in range(len(dims))), radix)
           for c in coords]
    strides = [math.prod(dims[d + 1:]) for d in range(len(dims))]
    for idx, c in enumerate(coords):
        for d, size in enumerate(dims):
            if c[d] + 1 < size:
                nxt = idx + strides[d]
            elif wrap and size > 2:
                nxt = idx - c[d] * strides[d]
            else:
                continue
            b.cable(sws[idx], hps + 1 + 2 * d, sws[nxt], hps + 2 + 2 * d)
    host_w = number_width(n_sw * hps, 4)
    for i in range(n_sw * hps):
        b.cable(b.ca(f"node{i + 1:0{host_w}d}"), 1, sws[i // hps], i % hps + 1)
    return b.finish(assign_lids, lmc)


def ring(switches: int, **kwargs: object) -> Fabric:
    """A ring of ``switches`` switches: ``torus((switches,), **kwargs)``."""
    return torus((_check_int("switches", switches, 1),), **kwargs)  # type: ignore[arg-type]


def mesh(dims: tuple[int, ...], **kwargs: object) -> Fabric:
    """A mesh (torus without wrap-around links): ``torus(dims, wrap=False, **kwargs)``."""
    return torus(dims, wrap=False, **kwargs)  # type: ignore[arg-type]


GENERATORS = {"fat-tree": fat_tree, "leaf-spine": leaf_spine, "torus": torus,
              "mesh": mesh, "ring": ring}
"""Generator name (as used in specs) -> function."""


GENERATOR_HELP = {
    "fat-tree": "k-ary n-tree, k**n HCAs: fat-tree:k=4,n=3[,speed=HDR,width=4x]",
    "leaf-spine": "2-level leaf/spine: leaf-spine:hcas=1000[,hcas_per_leaf=16,"
                  "oversubscription=2,spines=8,dual_port=1,switch_ports=40]",
    "torus": "torus of switches: torus:dims=4x4[,hcas_per_switch=2,wrap=1]",
    "mesh": "mesh (torus without wrap-around links): mesh:dims=3x3x3",
    "ring": "ring of switches: ring:switches=6[,hcas_per_switch=1]",
}
"""One line of help per generator, for ``ibviz topo list``."""


def generate(spec: str | dict, progress: Progress | None = None) -> Fabric:
    """Build a fabric from a compact spec.

    ``"fat-tree:k=4,n=3"``, ``"leaf-spine:hcas=1000,hcas_per_leaf=20,oversubscription=2,
    dual_port=1"``, ``"torus:dims=4x4,hcas_per_switch=2"``, ``"mesh:dims=3x3"``,
    ``"ring:switches=6"``; or a dict ``{"type": "fat-tree", "k": 4, "n": 3}``. Every
    generator also takes ``width`` (``4x``), ``speed`` (``HDR``), ``assign_lids`` and
    ``lmc``. The fabric is named after the canonical spec.

    Raises
    ------
    ValueError
        Unknown generator, unknown or missing key (naming the allowed ones) or bad value.

    ``progress(done, total)`` is told how far a fat tree is built (the largest take
    seconds); the other generators are quick and do not report.
    """
    kind, kwargs, canonical = parse_spec(spec, tuple(GENERATORS))
    if kind == "fat-tree" and progress is not None:
        kwargs = {**kwargs, "progress": progress}
    try:
        fabric = GENERATORS[kind](**kwargs)
    except ValueError as exc:  # a bad value: name the spec it was read from
        raise ValueError(f"{spec if isinstance(spec, str) else canonical}: {exc}") from exc
    fabric.name = canonical
    return fabric


__all__ = ["GENERATORS", "fat_tree", "generate", "leaf_spine", "mesh", "ring", "torus"]
