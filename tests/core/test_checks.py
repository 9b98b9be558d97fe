from ibviz.core import Fabric, LinkSpeed, LinkWidth, Node, NodeKind, PortRef, checks


def fabric_with_lids() -> Fabric:
    f = Fabric()
    f.add_node(Node(1, NodeKind.SWITCH, 8, "sw"))
    for g in (2, 3, 4):
        f.add_node(Node(g, NodeKind.CA, 1, f"h{g}"))
        f.connect(PortRef(1, g), PortRef(g, 1), LinkWidth.X4, LinkSpeed.HDR)
    f.assign_lid(PortRef(1, 0), 1)
    f.assign_lid(PortRef(2, 1), 4, 2)  # 4-7
    f.assign_lid(PortRef(3, 1), 6)     # inside h2's range
    f.assign_lid(PortRef(4, 1), 1)     # duplicates the switch
    return f


def test_duplicates_and_overlaps():
    f = fabric_with_lids()
    assert checks.duplicate_lids(f) == {1: [PortRef(1, 0), PortRef(4, 1)]}
    overlaps = checks.lmc_overlaps(f)
    assert len(overlaps) == 1 and "LID 0x0006" in overlaps[0].message


def test_out_of_range_and_unassigned():
    f = fabric_with_lids()
    f.assign_lid(PortRef(3, 1), 0xC001)
    assert "multicast LID" in checks.bad_lids(f)[0].message
    f.assign_lid(PortRef(3, 1), 0)
    assert [x.ports for x in checks.unassigned_lids(f)] == [(PortRef(3, 1),)]


def test_degraded_links_need_a_real_gap():
    f = fabric_with_lids()
    f.add_node(Node(5, NodeKind.CA, 1, "slow"))
    f.connect(PortRef(1, 5), PortRef(5, 1), LinkWidth.X4, LinkSpeed.SDR)  # 6 generations behind
    f.add_node(Node(6, NodeKind.CA, 1, "edr"))
    f.connect(PortRef(1, 6), PortRef(6, 1), LinkWidth.X4, LinkSpeed.EDR)  # normal mixing
    f.add_node(Node(7, NodeKind.CA, 1, "narrow"))
    f.connect(PortRef(1, 7), PortRef(7, 1), LinkWidth.X1, LinkSpeed.HDR)
    found = {x.ports for x in checks.degraded_links(f)}
    assert found == {(PortRef(1, 5), PortRef(5, 1)), (PortRef(1, 7), PortRef(7, 1))}
    assert "narrower" in " ".join(x.message for x in checks.degraded_links(f))


def test_gc_paused_restores_the_collector_even_on_error():
    import gc

    import pytest

    from ibviz.core.bulk import gc_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: stays off
    finally:
        gc.enable()
