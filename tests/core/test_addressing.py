import pytest

from ibviz.core import addressing as a


def test_lid_kinds_cover_the_16_bit_space():
    assert a.lid_kind(0) is a.LidKind.INVALID
    assert a.lid_kind(1) is a.LidKind.UNICAST
    assert a.lid_kind(0xBFFF) is a.LidKind.UNICAST
    assert a.lid_kind(0xC000) is a.LidKind.MULTICAST
    assert a.lid_kind(0xFFFE) is a.LidKind.MULTICAST
    assert a.lid_kind(0xFFFF) is a.LidKind.PERMISSIVE
    with pytest.raises(ValueError):
        a.lid_kind(0x10000)


def test_lmc_range_is_the_aligned_block_and_masked_by_the_port():
    assert list(a.lid_range(8, 2)) == [8, 9, 10, 11]
    # an unaligned base answers to the aligned block holding it (the port masks low bits)
    assert list(a.lid_range(10, 2)) == [8, 9, 10, 11]
    assert list(a.lid_range(5, 0)) == [5]
    assert a.lid_range(0, 3) == range(0)
    assert a.port_accepts_dlid(8, 2, 11) and not a.port_accepts_dlid(8, 2, 12)
    assert not a.port_accepts_dlid(8, 2, 0xC001)
    assert a.is_lid_aligned(16, 4) and not a.is_lid_aligned(17, 1)
    with pytest.raises(ValueError):
        a.lid_range(0xC000, 0)
    with pytest.raises(ValueError):
        a.check_lmc(8)


def test_lmc_range_stops_at_the_top_of_the_unicast_space():
    assert a.lid_range(0xBFF8, 3)[-1] == 0xBFFF


def test_gids_and_mgids():
    port_guid = 0x0002C9030004E939
    gid = a.link_local_gid(port_guid)
    assert a.format_gid(gid) == "fe80::2:c903:4:e939"
    assert a.parse_gid("fe80::2:c903:4:e939") == gid
    assert a.parse_gid("0xfe80000000000000:0x0002c9030004e939") == gid
    assert a.gid_guid(gid) == port_guid and a.gid_prefix(gid) == a.LINK_LOCAL_PREFIX
    mgid = a.ipoib_broadcast_mgid()
    assert a.format_gid(mgid) == "ff12:401b:ffff::ffff:ffff"
    assert a.is_mgid(mgid) and not a.is_mgid(gid)
    assert a.mgid_scope(mgid) is a.MgidScope.LINK_LOCAL
    assert a.mgid_flags(mgid) == 1
    assert a.mgid_scope(a.parse_gid("ff15::1")) is a.MgidScope.SITE_LOCAL
    assert a.mgid_scope(a.parse_gid("ff13::1")) == 3  # unnamed scope nibble kept as int


def test_qpn_and_guid_helpers():
    assert a.check_qpn(a.MULTICAST_QPN) == 0xFFFFFF
    with pytest.raises(ValueError):
        a.check_qpn(1 << 24)
    assert a.parse_guid("0x0002c903000413c0") == a.parse_guid("2c903000413c0")
    assert a.format_guid(0x2C9) == "0x00000000000002c9"
    with pytest.raises(ValueError):
        a.parse_guid("0x" + "f" * 17)
