"""Progress while a large fabric opens: the fat-tree generator reports level by level and
the SM's first sweep switch by switch (``ibviz.core.sm.progress``), so the open's
progress dialog shows a fraction while generating and routing, not a busy bar."""

from __future__ import annotations

from ibviz.app import opening
from ibviz.core.sm import progress as sm_progress
from ibviz.core.sm.manager import SubnetManager
from ibviz.topology.generators import generate

SMALL = "fat-tree:k=12,n=3"
"""144 leaves: the destination loop reports at 0, 64 and 128 of them."""


def increasing(calls: list[tuple[int, int]]) -> bool:
    fractions = [done / total for done, total in calls]
    return all(a < b for a, b in zip(fractions, fractions[1:], strict=False))


def test_a_first_sweep_reports_increasing_fractions_switch_by_switch() -> None:
    calls: list[tuple[int, int]] = []
    sm = SubnetManager(generate(SMALL))
    with sm_progress.reporting(lambda done, total: calls.append((done, total))):
        sm.sweep(reason="initial sweep")
    assert calls[0] == (0, sm_progress.WHOLE) and calls[-1] == (sm_progress.WHOLE,) * 2
    assert {total for _, total in calls} == {sm_progress.WHOLE}
    assert increasing(calls), calls
    low, high = sm_progress.SPANS["destinations"]
    assert len([d for d, _ in calls if low < d < high]) >= 2, calls  # inside the loop
    told = len(calls)
    sm.sweep()  # outside the block no one is told anything
    assert len(calls) == told and sm_progress.span("destinations") is None


def test_the_fat_tree_generator_reports_level_by_level() -> None:
    calls: list[tuple[int, int]] = []
    fabric = generate("fat-tree:k=16,n=3", lambda done, total: calls.append((done, total)))
    total = 3 * 16 ** 2 + 2 * 16 ** 3 + 16 ** 3  # switches, trunk cables, hosts
    assert {t for _, t in calls} == {total} and calls[-1] == (total, total)
    assert increasing(calls) and len(calls) >= 6, calls
    assert fabric == generate("fat-tree:k=16,n=3")  # the same fabric as without progress


def test_opening_a_fat_tree_reports_a_fraction_in_each_long_step() -> None:
    seen: list[tuple[str, int, int]] = []
    stage = ["?"]

    def progress(done: int, total: int) -> None:
        seen.append((stage[0], done, total))

    loaded = opening.open_any(SMALL, progress, stage=lambda text: stage.__setitem__(0, text))
    assert loaded.session.sm.state == "SUBNET UP"
    for step in (f"Generating {SMALL}", "Routing 2,160 LIDs"):
        calls = [(d, t) for s, d, t in seen if s == step]
        assert len(calls) >= 3 and increasing(calls) and calls[-1][0] == calls[-1][1], (step,
                                                                                      calls)


def test_an_ftree_first_sweep_reports_leaf_by_leaf() -> None:
    """OpenSM's ftree engine (tens of seconds at 12k nodes) moves the bar while it routes
    to the compute nodes, leaf by leaf, and the LFTs are those routed without a receiver."""
    from ibviz.core.sm.manager import SmConfig

    calls: list[tuple[int, int]] = []
    sm = SubnetManager(generate("fat-tree:k=8,n=3"), SmConfig(routing="ftree"))
    with sm_progress.reporting(lambda done, total: calls.append((done, total))):
        sm.sweep(reason="initial sweep")
    assert sm.last_lfts.algorithm == "ftree"
    assert calls[-1] == (sm_progress.WHOLE,) * 2 and increasing(calls), calls
    low, high = sm_progress.SPANS["destinations"]
    assert len([d for d, _ in calls if low < d < high]) >= 3, calls  # 32 leaves, 4 a tick
    quiet = SubnetManager(generate("fat-tree:k=8,n=3"), SmConfig(routing="ftree"))
    quiet.sweep(reason="initial sweep")
    assert sm.lfts.keys() == quiet.lfts.keys()
    assert all((sm.lfts[g] == quiet.lfts[g]).all() for g in sm.lfts)
