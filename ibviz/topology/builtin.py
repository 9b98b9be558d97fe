"""Built-in fabrics modelled on the figures of the patent ibviz is based on (the seed).

They are built in code, so names, GUIDs (:mod:`ibviz.topology._guid_plan`) and LIDs
are the same on every run. LIDs are assigned (sequential, switches first, LMC 0) and
cabled ports are ACTIVE, so a subnet manager can route them at once. Fabrics with two
subnets name them ``subnet-A`` (prefix ``fec0:0:0:a::/64``) and ``subnet-B``
(``fec0:0:0:b::/64``); LIDs are unique across both.

Figures 2, 3 and 6 use the patent's reference numbers in names and descriptions
(``hca210``, ``sw302``, ``rt626``, "subnet 602"); the comment above each says what the
text fixes and which details (port numbers, speeds, some cabling) are plausible guesses.

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


def _subnet_b(b: FabricBuilder, label: str, what: str) -> int:
    """The minimal 'other subnet' beyond a router (the figures do not draw it): one
    switch with one HCA; returns the switch."""
    sw = b.switch(f"{label}-switch", 8, description=f"{label}-switch ({what}, subnet-B)",
                  subnet=SUBNET_B)
    b.cable(b.ca(f"{label}-host", description=f"{label}-host HCA-1 ({what}, subnet-B)",
                 subnet=SUBNET_B), 1, sw, 1)
    return sw


# FIG. 2 (paragraphs 34-37): processor(s) 202 and memory controller 206 reach subnet 236
# through HCA 210. Link 212 joins HCA 210 to switch 214, links 216 and 224 join TCAs 218
# and 226 to it (the text says "switch 224", an evident slip for 214), and link 230 joins
# router 232, whose line 234 leads to other InfiniBand networks. TCA 218 serves the
# Ethernet network adapter 220 (line 222: the Ethernet), TCA 226 the target peripheral
# 228. Not fixed by the text: the switch's port numbers (here 1-4 in link-number order)
# and the link capacities, which "may vary" (para. 37) but are not given: all 4x HDR here
# (a narrower link would be flagged as degraded by ``ibviz topo info``).
_FIG2_LINKS = ((212, "hca210"), (216, "tca218"), (224, "tca226"), (230, "rt232"))


def _fig2() -> Fabric:
    b = FabricBuilder("fig2")
    A = SUBNET_A
    sw = b.switch("sw214", 8, description="sw214 (switch 214, subnet 236)", subnet=A)
    node = {
        "hca210": b.ca("hca210", subnet=A, description="hca210 HCA-1 (HCA 210: processors 202, "
                       "memory 206/208)"),
        "tca218": b.ca("tca218", role=TCA, subnet=A, description="tca218 (TCA 218: "
                       "Ethernet network adapter 220)"),
        "tca226": b.ca("tca226", role=TCA, subnet=A, description="tca226 (TCA 226: target "
                       "peripheral 228)"),
        "rt232": b.router("rt232", 2, subnet=A, description="rt232 (router 232, port 2: "
                          "line 234 to other IB networks)"),
    }
    for port, (_link, name) in enumerate(_FIG2_LINKS, 1):
        b.cable(node[name], 1, sw, port)
    b.cable(node["rt232"], 2, _subnet_b(b, "net234", "beyond line 234"), 2)
    return _finish(b, two_subnets=True)


# FIG. 3 (paragraphs 40-42): SAN 300 whose switched fabric 301 holds switches 302, 304,
# 306, 310 and 312 and router 308 (arrows 303: other subnets, WANs, LANs, hosts); hosts
# 318, 320 and 322, RAID subsystem 324, management console 326, I/O chassis 328 and 330,
# drives 332 and storage subsystem 334 communicate through it. The text names the parts
# but not the cabling; para. 41 says end nodes use "multiple ports" and "multiple paths
# through the fabric 301" for fault tolerance. So, as a plausible reading: the switches
# are fully meshed, the hosts, the RAID and the I/O chassis are dual-homed to two
# switches, the console, drives and storage single-homed; port numbers and speeds are
# not in the text.
def _fig3() -> Fabric:
    b = FabricBuilder("fig3")
    A = SUBNET_A
    sw = {n: b.switch(f"sw{n}", 12, description=f"sw{n} (switch {n}, fabric 301)", subnet=A)
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
    for n, pair in ((318, (302, 304)), (320, (304, 306)), (322, (306, 302))):
        ends.append((b.ca(f"host{n}", 2, description=f"host{n} HCA-1 (host {n})", subnet=A),
                     pair))
    ends.append((b.ca("console326", description="console326 HCA-1 (management console "
                      "326)", subnet=A), (302,)))
    ends.append((b.ca("raid324", 2, description="raid324 TCA (RAID subsystem 324)",
                      role=TCA, subnet=A), (310, 312)))
    for n, pair in ((328, (310, 312)), (330, (312, 310))):
        ends.append((b.ca(f"io{n}", 2, description=f"io{n} TCA (I/O chassis {n})",
                          role=TCA, subnet=A), pair))
    ends.append((b.ca("drives332", description="drives332 TCA (drives 332)", role=TCA,
                      subnet=A), (310,)))
    ends.append((b.ca("storage334", description="storage334 TCA (storage subsystem 334)",
                      role=TCA, subnet=A), (312,)))
    for node, homes in ends:
        for p, n in enumerate(homes, 1):
            b.cable(node, p, *to(n))
    rt = b.router("rt308", 2, subnet=A, description="rt308 (router 308; arrows 303: other "
                  "subnets, WANs, LANs)")
    b.cable(rt, 1, *to(306))
    b.cable(rt, 2, _subnet_b(b, "wan303", "arrows 303"), 2)
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


# FIG. 6 (paragraph 52): network 600 of subnet 602 (end nodes 604, 606, 608; switches 610,
# 612) and subnet 604 (end nodes 614, 616, 618, 620; switches 622, 624), joined by routers
# 626 and 628. The text numbers the first end node 604 like the second subnet, and prints
# "20" for 620; the names here keep 604 for the node (node604) and read 620. Subnets keep
# ibviz's names: subnet-A is 602, subnet-B is 604. The text fixes only that node604 has
# two ports, one on switch 610 and one on switch 612, and that the routers join 610/612 to
# 622/624 "variously". Plausible rest: each subnet's two switches are cabled together (a
# subnet must be connected without its routers), router 626 joins 610 to 622 and 628
# joins 612 to 624, the other end nodes are single-homed; port numbers are not in the text.
_FIG6 = {SUBNET_A: ("602", (610, 612), (("node604", (610, 612)), ("node606", (610,)),
                                        ("node608", (612,)))),
         SUBNET_B: ("604", (622, 624), (("node614", (622,)), ("node616", (622,)),
                                        ("node618", (624,)), ("node620", (624,))))}


def _fig6() -> Fabric:
    b = FabricBuilder("fig6")
    sw: dict[int, int] = {}
    for subnet, (num, switches, ends) in _FIG6.items():
        for n in switches:
            sw[n] = b.switch(f"sw{n}", 8, subnet=subnet,
                             description=f"sw{n} (switch {n}, subnet {num})")
        b.cable(sw[switches[0]], 8, sw[switches[1]], 8)
        used = dict.fromkeys(switches, 0)
        for name, homes in ends:
            node = b.ca(name, len(homes), subnet=subnet,
                        description=f"{name} HCA-1 (end node {name[4:]}, subnet {num})")
            for p, n in enumerate(homes, 1):
                used[n] += 1
                b.cable(node, p, sw[n], used[n])
    for rnum, a, bb in ((626, 610, 622), (628, 612, 624)):
        rt = b.router(f"rt{rnum}", 2, subnet=SUBNET_A,
                      description=f"rt{rnum} (router {rnum}: subnet 602 to subnet 604)")
        b.cable(rt, 1, sw[a], 7)
        b.cable(rt, 2, sw[bb], 7)
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
    "fig2": ("FIG. 2: subnet 236 with HCA 210, switch 214, TCA 218 (Ethernet network "
             "adapter 220), TCA 226 (target peripheral 228) and router 232 to another "
             "network (subnet-B)", _fig2),
    "fig3": ("FIG. 3: SAN 300, switches sw302-sw312 meshed, router rt308 to a wide-area "
             "subnet, hosts host318-322, raid324, console326, I/O chassis io328/io330, "
             "drives332, storage334", _fig3),
    "fig5": ("end node with a 4-port CA, all ports cabled to switch-1, plus host-a and "
             "host-b", _fig5),
    "fig6": ("FIG. 6: subnet 602 (sw610, sw612, node604-608) and subnet 604 (sw622, "
             "sw624, node614-620) joined by routers rt626 and rt628", _fig6),
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
