"""Built-in fabrics modelled on the figures of the patent ibviz is based on (the seed).

They are built in code, so names, GUIDs (:mod:`ibviz.topology._guid_plan`) and LIDs
are the same on every run. LIDs are assigned (sequential, switches first, LMC 0) and
cabled ports are ACTIVE, so a subnet manager can route them at once. Fabrics with two
subnets name them ``subnet-A`` (prefix ``fec0:0:0:a::/64``) and ``subnet-B``
(``fec0:0:0:b::/64``); LIDs are unique across both.

>>> builtin_names()
['fig2', 'fig3', 'fig5', 'fig6', 'fig8', 'fig10', 'demo']
>>> load_builtin("fig10")
Fabric('fig10': 1 switches, 3 CAs, 0 routers, 3 links)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ibviz.core.addressing import LINK_LOCAL_PREFIX
from ibviz.core.fabric import Fabric
from ibviz.core.model import CaRole
from ibviz.topology._guid_plan import FabricBuilder

SUBNET_A, SUBNET_B = "subnet-A", "subnet-B"
SUBNET_PREFIXES = {SUBNET_A: 0xFEC0_0000_0000_000A, SUBNET_B: 0xFEC0_0000_0000_000B}
TCA = CaRole.TCA


def _finish(b: FabricBuilder, two_subnets: bool = False) -> Fabric:
    b.fabric.subnets = dict(SUBNET_PREFIXES) if two_subnets else {"default": LINK_LOCAL_PREFIX}
    return b.finish(assign_lids=True, lmc=0)


def _subnet_b(b: FabricBuilder, label: str) -> int:
    """The minimal 'other subnet': one switch with one HCA; returns the switch."""
    sw = b.switch(f"{label}-switch", 8, description=f"{label}-switch (subnet-B)",
                  subnet=SUBNET_B)
    b.cable(b.ca(f"{label}-host", description=f"{label}-host HCA-1 (subnet-B)",
                 subnet=SUBNET_B), 1, sw, 1)
    return sw


def _fig2() -> Fabric:
    b = FabricBuilder("fig2")
    A = SUBNET_A
    sw = b.switch("switch", 8, description="switch (subnet-A)", subnet=A)
    hca = b.ca("host-processor-node", description="host processor node HCA-1", subnet=A)
    io = b.ca("tca-io", description="TCA storage/I-O target", role=TCA, subnet=A)
    eth = b.ca("tca-ethernet", description="TCA ethernet-adapter", role=TCA, subnet=A)
    rt = b.router("router", 2, description="router (port 2 to another subnet)", subnet=A)
    for port, node in enumerate((hca, io, eth, rt), 1):
        b.cable(node, 1, sw, port)
    b.cable(rt, 2, _subnet_b(b, "other"), 2)
    return _finish(b, two_subnets=True)


def _fig3() -> Fabric:
    b = FabricBuilder("fig3")
    A = SUBNET_A
    sw = {n: b.switch(f"sw{n}", 12, description=f"sw{n} (switch {n})", subnet=A)
          for n in (302, 304, 306, 310, 312)}
    nums = sorted(sw)
    port = dict.fromkeys(nums, 0)

    def to(n: int) -> tuple[int, int]:
        port[n] += 1
        return sw[n], port[n]

    for i, x in enumerate(nums):  # switches fully meshed
        for y in nums[i + 1:]:
            b.cable(*to(x), *to(y))
    ends: list[tuple[int, tuple[int, ...]]] = []
    for n, homes in ((318, (302, 304)), (320, (304, 306)), (322, (306, 302))):
        ends.append((b.ca(f"host{n}", 2, description=f"host{n} HCA-1 (host {n})", subnet=A),
                     homes))
    ends.append((b.ca("console326", description="console326 HCA-1 (console 326)",
                      subnet=A), (302,)))
    ends.append((b.ca("raid324", 2, description="raid324 TCA (RAID subsystem 324)",
                      role=TCA, subnet=A), (310, 312)))
    for n, homes in ((328, (310, 312)), (330, (312, 310))):
        ends.append((b.ca(f"io{n}", 2, description=f"io{n} TCA (I/O chassis {n})",
                          role=TCA, subnet=A), homes))
    ends.append((b.ca("drives332", description="drives332 TCA (drives 332)", role=TCA,
                      subnet=A), (310,)))
    ends.append((b.ca("storage334", description="storage334 TCA (storage subsystem 334)",
                      role=TCA, subnet=A), (312,)))
    for node, homes in ends:
        for p, n in enumerate(homes, 1):
            b.cable(node, p, *to(n))
    rt = b.router("rt308", 2, description="rt308 (router 308, port 2 to wide-area subnet-B)",
                  subnet=A)
    b.cable(rt, 1, *to(306))
    b.cable(rt, 2, _subnet_b(b, "wan"), 2)
    return _finish(b, two_subnets=True)


def _fig5() -> Fabric:
    b = FabricBuilder("fig5")
    sw = b.switch("switch-1", 8, description="switch-1")
    end = b.ca("endnode", 4, description="endnode HCA-1 (multi-port CA, 4 ports)")
    for p in range(1, 5):
        b.cable(end, p, sw, p)
    for p, name in enumerate(("host-a", "host-b"), 5):
        b.cable(b.ca(name), 1, sw, p)
    return _finish(b)


def _fig6() -> Fabric:
    b = FabricBuilder("fig6")
    sws: dict[str, list[int]] = {}
    for s in (SUBNET_A, SUBNET_B):
        t = s[-1]
        sws[s] = [b.switch(f"sw{t}{i}", 8, description=f"sw{t}{i} ({s})", subnet=s)
                  for i in (1, 2)]
        b.cable(sws[s][0], 8, sws[s][1], 8)
        for i in range(3):
            host = b.ca(f"host{t.lower()}{i + 1}", subnet=s,
                        description=f"host{t.lower()}{i + 1} HCA-1 ({s})")
            b.cable(host, 1, sws[s][i % 2], 1 + i // 2)
    for i in (0, 1):
        rt = b.router(f"rt{i + 1}", 2, subnet=SUBNET_A,
                      description=f"rt{i + 1} (router joining subnet-A and subnet-B)")
        b.cable(rt, 1, sws[SUBNET_A][i], 7)
        b.cable(rt, 2, sws[SUBNET_B][i], 7)
    return _finish(b, two_subnets=True)


def _failover(name: str, second_switch: bool) -> tuple[Fabric, dict[str, Any]]:
    b = FabricBuilder(name)
    sw = b.switch("switch-1", 8, description="switch-1")
    first = b.ca("first-node", description="first-node (primary)")
    second = b.ca("second-node", description="second-node (takeover)")
    sender = b.ca("sender", description="sender (remote peer)")
    for p, node in enumerate((first, second, sender), 1):
        b.cable(node, 1, sw, p)
    senders = [sender]
    if second_switch:
        sw2 = b.switch("switch-2", 8, description="switch-2")
        sender2 = b.ca("sender-2", description="sender-2 (remote peer)")
        b.cable(sw, 4, sw2, 4)
        b.cable(sender2, 1, sw2, 1)
        senders.append(sender2)
    roles = {"primary": first, "takeover": second, "senders": senders, "switch": sw,
             "primary_port": 1, "non_primary_port": 2}
    return _finish(b), roles


def _fig8() -> Fabric:
    return _failover("fig8", True)[0]


def _fig10() -> Fabric:
    return _failover("fig10", False)[0]


def _demo() -> Fabric:
    fabric = _fig10()
    fabric.name = "demo"
    return fabric


_FIG10 = ("failover figure 10: first-node (primary) on switch-1 port 1 (primary multicast "
          "port), second-node (takeover) on port 2 (non-primary), sender (remote peer) on 3")
_BUILTINS: dict[str, tuple[str, Callable[[], Fabric]]] = {
    "fig2": ("one subnet: host processor node HCA, switch, TCA storage/I-O target, TCA "
             "ethernet-adapter and a router to another subnet (subnet-B)", _fig2),
    "fig3": ("SAN: switches sw302-sw312 meshed, router rt308 to a wide-area subnet, hosts "
             "host318-322, raid324, console326, I/O chassis io328/io330, drives332, "
             "storage334", _fig3),
    "fig5": ("end node with a 4-port CA, all ports cabled to switch-1, plus host-a and "
             "host-b", _fig5),
    "fig6": ("two subnets (subnet-A, subnet-B) of two switches and three hosts each, joined "
             "by two routers", _fig6),
    "fig8": ("failover figure 8: first-node (primary), second-node (takeover) and sender on "
             "switch-1, sender-2 on switch-2", _fig8),
    "fig10": (_FIG10, _fig10),
    "demo": ("the GUI's demo fabric (same as fig10): " + _FIG10, _demo),
}

FAILOVER_ROLES: dict[str, dict[str, Any]] = {
    "fig8": _failover("fig8", True)[1], "fig10": _failover("fig10", False)[1]}
"""Per failover fabric: GUIDs of the ``primary``, ``takeover`` and ``senders`` HCAs, of
the ``switch`` they share, and its ``primary_port`` / ``non_primary_port`` numbers."""
FAILOVER_ROLES["demo"] = {**FAILOVER_ROLES["fig10"],
                          "senders": list(FAILOVER_ROLES["fig10"]["senders"])}


def builtin_names() -> list[str]:
    """Names :func:`load_builtin` accepts, in figure order (``demo`` last)."""
    return list(_BUILTINS)


def builtin_description(name: str) -> str:
    """One-line description of a built-in fabric."""
    return _entry(name)[0]


def load_builtin(name: str) -> Fabric:
    """A fresh copy of the built-in fabric ``name``.

    Raises
    ------
    KeyError
        Unknown name (the message lists the available ones).
    """
    fabric = _entry(name)[1]()
    fabric.source, fabric.source_format = f"builtin:{name}", "builtin"
    return fabric


def _entry(name: str) -> tuple[str, Callable[[], Fabric]]:
    try:
        return _BUILTINS[name]
    except KeyError:
        raise KeyError(f"no built-in fabric {name!r}; available: "
                       f"{', '.join(builtin_names())}") from None


__all__ = ["FAILOVER_ROLES", "SUBNET_PREFIXES", "builtin_description", "builtin_names",
           "load_builtin"]
