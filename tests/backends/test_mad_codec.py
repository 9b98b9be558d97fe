"""ibviz.core.sm.mad_codec: byte layout, round trips, and real OpenSM 3.3.23 MADs.

The hex literals below were captured by this project's own harness (ibsim 0.10 + OpenSM
3.3.23 on the fig8 built-in fabric, requests sent by ibviz.backends.umad_client).
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibviz.core.sm.mad_codec import (
    MAD_SIZE,
    PROXY_JOIN_IBA,
    PROXY_JOIN_OPENSM,
    MadDecodeError,
    decode_mcmember_mad,
    decode_mcmember_record,
    decode_sa_mad,
    encode_mcmember_mad,
    encode_mcmember_record,
)
from ibviz.core.sm.records import REQUIRED_FOR_CREATE, McComp, McMemberRecord, SaMethod

MGID = int(ipaddress.IPv6Address("ff12:1::1"))
GID_D = 0xFE80_0000_0000_0000_0002_C903_0000_0031  # sender-2 of fig8


def hexmad(text: str) -> bytes:
    """A MAD written as its non-zero prefix: the rest of the 256 bytes is zero."""
    raw = bytes.fromhex("".join(text.split()))
    return raw + bytes(MAD_SIZE - len(raw))


# Trusted Get (SM_Key 1) by "sender" of the membership it created for sender-2 by proxy.
REAL_GET_PROXY_REQUEST = hexmad("""
    01030201 00000000 0000000000001002 0038 0000 00000000 000000000000000000000000
    0000000000000001 0007 0000 0000000000000003
    ff120001000000000000000000000001 fe800000000000000002c90300000031
    00012345 0000 00 00 ffff 00 00 00000000 00 00""")
REAL_GET_PROXY_RESPONSE = hexmad("""
    01030281 00000000 0003000000001002 0038 0000 00000000 000000000000000000000000
    0000000000000000 0007 0000 0000000000000003
    ff120001000000000000000000000001 fe800000000000000002c90300000031
    00012345 c001 84 00 ffff 91 80 00000000 01 01""")
# The create (Set, mask 0x130c7) answered by OpenSM: MLID 0xC001, MTU/rate/life selector 2.
REAL_CREATE_RESPONSE = hexmad("""
    01030281 00000000 0001000000001000 0038 0000 00000000 000000000000000000000000
    0000000000000000 0007 0000 00000000000130c7
    ff120001000000000000000000000001 fe800000000000000002c90300000001
    00012345 c001 84 00 ffff 91 80 00000000 01 00""")

records = st.builds(
    McMemberRecord,
    mgid=st.integers(0, (1 << 128) - 1), port_gid=st.integers(0, (1 << 128) - 1),
    qkey=st.integers(0, 0xFFFFFFFF), mlid=st.integers(0, 0xFFFF),
    mtu_selector=st.integers(0, 3), mtu=st.integers(0, 63), tclass=st.integers(0, 255),
    pkey=st.integers(0, 0xFFFF), rate_selector=st.integers(0, 3), rate=st.integers(0, 63),
    pkt_life_selector=st.integers(0, 3), pkt_life=st.integers(0, 63), sl=st.integers(0, 15),
    flow_label=st.integers(0, 0xFFFFF), hop_limit=st.integers(0, 255),
    scope=st.integers(0, 15), join_state=st.integers(0, 15), proxy_join=st.booleans(),
)


@given(records, st.integers(0, 255), st.integers(0, (1 << 64) - 1),
       st.integers(0, (1 << 64) - 1), st.sampled_from([PROXY_JOIN_OPENSM, PROXY_JOIN_IBA]))
def test_round_trip(rec, method, tid, mask, proxy_bit):
    data = encode_mcmember_mad(method, rec, mask, tid, status=0x0600, proxy_bit=proxy_bit)
    assert len(data) == MAD_SIZE
    assert decode_mcmember_mad(data) == (method, 0x0600, tid, mask, rec)
    assert decode_mcmember_mad(data, proxy_bits=proxy_bit)[4] == rec


def test_field_offsets_and_bit_fields():
    rec = McMemberRecord(mgid=MGID, port_gid=GID_D, qkey=0x11223344, mlid=0xC005,
                         mtu_selector=2, mtu=4, tclass=0x5A, pkey=0x8001, rate_selector=1,
                         rate=0x11, pkt_life_selector=3, pkt_life=0x12, sl=0xB,
                         flow_label=0xABCDE, hop_limit=0x3F, scope=0x2, join_state=0x9,
                         proxy_join=True)
    d = encode_mcmember_mad(SaMethod.SET, rec, 0x130C7, 0x0102030405060708, sm_key=1)
    assert d[:4] == bytes([1, 0x03, 2, 0x02])
    assert d[8:16] == bytes(range(1, 9))
    assert d[16:18] == b"\x00\x38" and d[24:36] == bytes(12)
    assert d[36:44] == (1).to_bytes(8, "big") and d[44:46] == b"\x00\x07"
    assert d[48:56] == (0x130C7).to_bytes(8, "big")
    r = d[56:]
    assert r[0:16] == MGID.to_bytes(16, "big") and r[16:32] == GID_D.to_bytes(16, "big")
    assert r[32:36] == bytes.fromhex("11223344") and r[36:38] == b"\xc0\x05"
    assert r[38] == 0x84 and r[39] == 0x5A and r[40:42] == b"\x80\x01"
    assert r[42] == 0x51 and r[43] == 0xD2
    assert r[44:48] == (0xB << 28 | 0xABCDE << 8 | 0x3F).to_bytes(4, "big")
    assert r[48] == 0x29 and r[49] == PROXY_JOIN_OPENSM and r[50:56] == bytes(6)
    assert encode_mcmember_record(rec, PROXY_JOIN_IBA)[49] == 0x80


def test_decode_real_opensm_trusted_get_shows_proxy_join_in_bit_0():
    method, status, tid, mask, rec = decode_mcmember_mad(REAL_GET_PROXY_RESPONSE)
    # ibsim puts its client number (3: the fourth client) in the upper 32 TID bits.
    assert (method, status, mask) == (0x81, 0, McComp.MGID | McComp.PORT_GID)
    assert tid == 0x0003_0000_0000_1002
    assert rec.mgid == MGID and rec.port_gid == GID_D and rec.mlid == 0xC001
    assert (rec.mtu_selector, rec.mtu, rec.rate_selector, rec.rate) == (2, 4, 2, 0x11)
    assert (rec.pkt_life_selector, rec.pkt_life, rec.qkey, rec.pkey) == (2, 0, 0x12345, 0xFFFF)
    assert (rec.scope, rec.join_state, rec.proxy_join) == (0, 1, True)
    # OpenSM's ``uint8_t proxy_join:1`` is the least significant bit of byte 49, not the
    # IBA's most significant bit.
    assert REAL_GET_PROXY_RESPONSE[56 + 49] == 0x01
    assert decode_mcmember_mad(REAL_GET_PROXY_RESPONSE, proxy_bits=PROXY_JOIN_IBA)[4] \
        .proxy_join is False


def test_reencoding_real_responses_is_byte_exact():
    for raw in (REAL_GET_PROXY_RESPONSE, REAL_CREATE_RESPONSE):
        mad = decode_sa_mad(raw)
        again = encode_mcmember_mad(mad.method, mad.record, mad.comp_mask, mad.tid,
                                    status=mad.status, sm_key=mad.sm_key,
                                    class_specific=mad.class_specific)
        assert again == raw
    assert decode_sa_mad(REAL_CREATE_RESPONSE).comp_mask == REQUIRED_FOR_CREATE


def test_request_encoding_matches_what_was_sent():
    rec = McMemberRecord(mgid=MGID, port_gid=GID_D, qkey=0x12345, pkey=0xFFFF)
    mine = encode_mcmember_mad(SaMethod.GET, rec, McComp.MGID | McComp.PORT_GID, 0x1002,
                               sm_key=1)
    assert mine == REAL_GET_PROXY_REQUEST


@pytest.mark.parametrize("data, msg", [
    (bytes(255), "256 bytes"),
    (b"\x02" + bytes(255), "not an SA MAD"),
    (bytes([1, 0x81]) + bytes(254), "not an SA MAD"),
    (bytes([1, 3, 1]) + bytes(253), "ClassVersion"),
    (bytes([1, 3, 2, 0x81]) + bytes(12) + b"\x00\x35" + bytes(238), "AttributeID"),
])
def test_decode_rejects_other_mads(data, msg):
    with pytest.raises(MadDecodeError, match=msg):
        decode_sa_mad(data)


def test_encode_rejects_out_of_range_fields():
    with pytest.raises(ValueError, match="join_state"):
        encode_mcmember_record(McMemberRecord(join_state=16))
    with pytest.raises(ValueError, match="flow_label"):
        encode_mcmember_record(McMemberRecord(flow_label=1 << 20))
    with pytest.raises(ValueError, match="GID"):
        encode_mcmember_record(McMemberRecord(mgid=1 << 128))
    with pytest.raises(MadDecodeError):
        decode_mcmember_record(bytes(10))
