"""The SM's tables and MADs stay exactly those of the code that matched the real OpenSM.

``benchmarks/bench_lft_agreement.py`` and the live ``--dump`` tests compare with the real
OpenSM on the fabrics ibsim loads; here the whole story of a subnet manager (first sweep,
group joins, a lost HCA, a lost switch, a lost inter-switch cable, each followed by a
sweep) on fat trees, leaf/spines (parallel uplinks, dual-port HCAs), a torus, LMC 0-2 and
every routing engine is reduced to a SHA-256 of its LFTs, MFTs, LIDs, port states and
every MAD, and pinned to the digest the code gave when it was checked against OpenSM
(commit a99d6fa, 65/65 stages equal). A speed-up of the routing core must leave every
digest as it is; a deliberate change of behaviour re-pins them
(``IBVIZ_PRINT_DIGESTS=1 pytest tests/core/test_sm_tables_pinned.py -s`` prints them).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import numpy as np
import pytest
from test_sm_loss_sweep import _join

from ibviz.core.fabric import Fabric
from ibviz.core.model import NO_PATH, NodeKind
from ibviz.core.sm.manager import SmConfig, SubnetManager
from ibviz.topology.generators import fat_tree, leaf_spine, torus

FABRICS: dict[str, Callable[[], Fabric]] = {
    "ft4": lambda: fat_tree(4, 3),
    "ft8": lambda: fat_tree(8, 3),
    "ft12": lambda: fat_tree(12, 3),
    "ft6x2": lambda: fat_tree(6, 2),
    "ls96": lambda: leaf_spine(96, hcas_per_leaf=8),
    "ls-parallel": lambda: leaf_spine(60, hcas_per_leaf=8, spines=3),
    "ls-dual": lambda: leaf_spine(40, hcas_per_leaf=8, dual_port=True),
    "torus": lambda: torus((3, 4), hcas_per_switch=2),
}

CASES = [  # fabric, routing, LMC
    ("ft4", "minhop", 0), ("ft4", "minhop", 1), ("ft4", "minhop", 2), ("ft4", "updn", 0),
    ("ft4", "ftree", 0), ("ft8", "minhop", 0), ("ft8", "updn", 1), ("ft12", "minhop", 0),
    ("ft6x2", "minhop", 2), ("ls96", "minhop", 0), ("ls96", "minhop", 1),
    ("ls96", "updn", 0), ("ls-parallel", "minhop", 0), ("ls-parallel", "minhop", 2),
    ("ls-dual", "minhop", 0), ("ls-dual", "minhop", 1), ("torus", "minhop", 0),
    ("torus", "updn", 1),
]

PINNED: dict[str, str] = {
    "ft4/minhop/lmc0": "40329f11a85cc923eccaa0b087c3ea5f831b455ac93534bf0455ba58acbc8160",
    "ft4/minhop/lmc1": "1950ebfa161a2da0c03311be697b0844b6871778e9079bb4067f4830a57ebb07",
    "ft4/minhop/lmc2": "6c9e1375543241ac97e12a78e2493e873dd2850572950a5614b492a69edb8b98",
    "ft4/updn/lmc0": "1ad7ad3bf16144ae0c0b94b55b2e7301de0c93ea249a86d0700afec96ec57f82",
    "ft4/ftree/lmc0": "f0871bf676b4d5595d5e84dcd80126ea5f86bf3816638c354f598776a926f4f1",
    "ft8/minhop/lmc0": "328e69f5facf51a24903ebf5bbb3c253aa018ea92ad4b40e60ec5e1932475c65",
    "ft8/updn/lmc1": "be2244b90ea533f48d41a712ff7f9dfe1cb71bef4b6c1e0f043015197b4039a6",
    "ft12/minhop/lmc0": "d3708c835ccae1fe2d00e50150af4e11fd45f66305fba50a4fa75e5df4bc761f",
    "ft6x2/minhop/lmc2": "b9006ad60201d69a0e091f2f4351814cb229af008aa6e2685237b570bf2fa877",
    "ls96/minhop/lmc0": "5994a8bac5cbe6e90a496c74476e04c77b5de9d0ba9b6a3df2d2f5e1cf583999",
    "ls96/minhop/lmc1": "f95ef593a63e4d0febf7aa5e71be7c1d3cb880ac3788286dcd8310da0a4af65e",
    "ls96/updn/lmc0": "e1e5c8de6972c8c52b30f9c03b0222744347e51aceca6d3e3226658d1c83720e",
    "ls-parallel/minhop/lmc0": "24074f0fe3083172f9881bfbf1009ecde78225f041698ebff15f13cc55053d6a",
    "ls-parallel/minhop/lmc2": "628ef43a87f1fd7eff7a2ef8f06586ff021fe6024fddfb47b039c377b17c1751",
    "ls-dual/minhop/lmc0": "1e812728739bdd97c8e2113b36cedff418e5f5d1b7a7a574201abb81e05e775b",
    "ls-dual/minhop/lmc1": "55ee8d3453f3ec3bf93640dbc8d3f7039db4c6a379dee5ee0db9261fd454795e",
    "torus/minhop/lmc0": "b27c0e6419e59b860d52d9904bf052d9066315f68aa46a7c271c30b753e1e338",
    "torus/updn/lmc1": "27fad4f4c94206a176a6222d8d2b927e523b2ab5f441e257973d109116ab5593",
}


def _feed(h: hashlib._Hash, sm: SubnetManager) -> None:
    """The SM's state after a sweep, in a fixed order."""
    for sw in sorted(sm.lfts):
        t = np.asarray(sm.lfts[sw], dtype=np.uint8)
        h.update(sw.to_bytes(8, "little") + len(t).to_bytes(4, "little") + t.tobytes())
    h.update(np.asarray(sm.last_lfts.table, dtype=np.uint8).tobytes())
    for sw in sorted(sm.mfts):
        h.update(repr(sorted((m, sorted(p)) for m, p in sm.mfts[sw].items())).encode())
    for guid in sorted(sm.fabric.nodes):
        for num, p in sorted(sm.fabric.nodes[guid].ports.items()):
            h.update(f"{guid:x}:{num}:{p.lid}:{p.lmc}:{p.state.name};".encode())
    for sw in sorted(sm.switch_info):
        h.update(repr(sm.switch_info[sw]).encode())
    for m in sm.mads.mads:
        h.update(repr((m.attribute, m.modifier, m.dst, m.reason, round(m.time_us, 3), round(m.latency_us, 3),
                       sorted(m.fields.items()))).encode())


def _digest(name: str, routing: str, lmc: int) -> str:
    fabric = FABRICS[name]()
    sm = SubnetManager(fabric, SmConfig(lmc=lmc, routing=routing))
    h = hashlib.sha256()
    sm.sweep()
    _feed(h, sm)
    cas = sorted(n.guid for n in fabric.cas())
    _join(sm, 1, cas[::5][:6])
    _join(sm, 2, cas[1::7][:4])
    sm.fail_node(cas[5])  # a member: the quick sweep after a lost HCA
    sm.sweep(reason="trap")
    _feed(h, sm)
    switches = sorted(n.guid for n in fabric.switches() if n.guid != sm.sm_port.node)
    sm.fail_node(switches[len(switches) // 2])  # a switch: in full, keeping valid entries
    sm.sweep(reason="trap")
    _feed(h, sm)
    isl = sorted(lk.a for lk in fabric.links.values()
                 if fabric.nodes[lk.a.node].kind is NodeKind.SWITCH
                 and fabric.nodes[lk.b.node].kind is NodeKind.SWITCH
                 and sm.usable(lk))
    sm.set_link(isl[len(isl) // 3], up=False)  # an inter-switch cable
    sm.sweep(reason="trap")
    _feed(h, sm)
    assert any((np.asarray(t) != NO_PATH).any() for t in sm.lfts.values())
    return h.hexdigest()


@pytest.mark.parametrize("name, routing, lmc", CASES)
def test_tables_and_mads_as_pinned(name: str, routing: str, lmc: int) -> None:
    key = f"{name}/{routing}/lmc{lmc}"
    got = _digest(name, routing, lmc)
    if os.environ.get("IBVIZ_PRINT_DIGESTS"):
        print(f'    "{key}": "{got}",')
    assert got == PINNED[key], key
