"""ctypes binding of the few libibumad (libibumad.so.3) calls a management-class agent needs.

Used only inside the ``python -m ibviz.backends.umad_client`` child process, which runs
under ``LD_PRELOAD=libumad2sim.so`` so that these calls reach the ibsim simulator.
Declarations follow rdma-core's ``libibumad/umad.h`` (ABI of IBUMAD_1.0).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time

__all__ = ["UmadAgent", "UmadError", "QP1", "GSI_QKEY"]

QP1 = 1
GSI_QKEY = 0x80010000
MAD_SIZE = 256
_CA_NAME_LEN = 20


class UmadError(RuntimeError):
    """A libibumad call failed."""


class _UmadPort(ctypes.Structure):
    _fields_ = [
        ("ca_name", ctypes.c_char * _CA_NAME_LEN),
        ("portnum", ctypes.c_int),
        ("base_lid", ctypes.c_uint),
        ("lmc", ctypes.c_uint),
        ("sm_lid", ctypes.c_uint),
        ("sm_sl", ctypes.c_uint),
        ("state", ctypes.c_uint),
        ("phys_state", ctypes.c_uint),
        ("rate", ctypes.c_uint),
        ("capmask", ctypes.c_uint32),
        ("gid_prefix", ctypes.c_uint64),  # network byte order
        ("port_guid", ctypes.c_uint64),  # network byte order
        ("pkeys_size", ctypes.c_uint),
        ("pkeys", ctypes.POINTER(ctypes.c_uint16)),
        ("link_layer", ctypes.c_char * _CA_NAME_LEN),
    ]


def _load() -> ctypes.CDLL:
    name = ctypes.util.find_library("ibumad") or "libibumad.so.3"
    lib = ctypes.CDLL(name, use_errno=True)
    vp, i, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    sigs: dict[str, tuple[list, object]] = {
        "umad_init": ([], i),
        "umad_done": ([], i),
        "umad_get_port": ([c, i, ctypes.POINTER(_UmadPort)], i),
        "umad_release_port": ([ctypes.POINTER(_UmadPort)], i),
        "umad_open_port": ([c, i], i),
        "umad_close_port": ([i], i),
        "umad_register": ([i, i, i, ctypes.c_uint8, vp], i),
        "umad_unregister": ([i, i], i),
        "umad_get_mad": ([vp], vp),
        "umad_size": ([], ctypes.c_size_t),
        "umad_status": ([vp], i),
        "umad_set_addr": ([vp, i, i, i, i], i),
        "umad_set_pkey": ([vp, i], i),
        "umad_send": ([i, i, vp, i, i, i], i),
        "umad_recv": ([i, vp, ctypes.POINTER(i), i], i),
    }
    for fn, (args, res) in sigs.items():
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    return lib


def _be64(value: int) -> int:
    return int.from_bytes(value.to_bytes(8, "little"), "big")


class UmadAgent:
    """One umad port with one registered agent of a management class (e.g. SA: 3, 2).

    Parameters
    ----------
    mgmt_class, class_version : int
        What to register (the SA is class 0x03, version 2).
    ca_name : str, optional
        CA to open; the first one when None (under umad2sim: the simulated node).
    port : int
        Port number; 0 picks the first active port.
    """

    def __init__(self, mgmt_class: int, class_version: int, ca_name: str | None = None,
                 port: int = 0) -> None:
        self.lib = _load()
        if self.lib.umad_init() < 0:
            raise UmadError("umad_init failed")
        ca = ca_name.encode() if ca_name else None
        info = _UmadPort()
        if self.lib.umad_get_port(ca, port, ctypes.byref(info)) < 0:
            raise UmadError(f"umad_get_port({ca_name!r}, {port}) failed")
        self.info = {
            "ca_name": info.ca_name.decode(errors="replace"),
            "port": info.portnum,
            "lid": info.base_lid,
            "lmc": info.lmc,
            "sm_lid": info.sm_lid,
            "sm_sl": info.sm_sl,
            "state": info.state,
            "gid_prefix": _be64(info.gid_prefix),
            "port_guid": _be64(info.port_guid),
        }
        self.lib.umad_release_port(ctypes.byref(info))
        self.portid = self.lib.umad_open_port(ca, port)
        if self.portid < 0:
            raise UmadError(f"umad_open_port({ca_name!r}, {port}) failed: {self.portid}")
        self.agent = self.lib.umad_register(self.portid, mgmt_class, class_version, 0, None)
        if self.agent < 0:
            self.lib.umad_close_port(self.portid)
            raise UmadError(f"umad_register(class {mgmt_class:#x} v{class_version}) failed")
        self._size = int(self.lib.umad_size()) + MAD_SIZE
        self._buf = ctypes.create_string_buffer(self._size)

    def close(self) -> None:
        """Unregister the agent and close the port (idempotent)."""
        if self.portid >= 0:
            self.lib.umad_unregister(self.portid, self.agent)
            self.lib.umad_close_port(self.portid)
            self.portid = -1
            self.lib.umad_done()

    def send(self, mad: bytes, dlid: int, *, qp: int = QP1, qkey: int = GSI_QKEY, sl: int = 0,
             timeout_ms: int = 0, retries: int = 0) -> None:
        """Send one 256-byte MAD to ``dlid``/``qp`` (P_Key index 0)."""
        if len(mad) != MAD_SIZE:
            raise ValueError(f"MAD must be {MAD_SIZE} bytes, not {len(mad)}")
        ctypes.memset(self._buf, 0, self._size)
        self.lib.umad_set_addr(self._buf, dlid, qp, sl, qkey)
        self.lib.umad_set_pkey(self._buf, 0)
        ctypes.memmove(self.lib.umad_get_mad(self._buf), mad, MAD_SIZE)
        rc = self.lib.umad_send(self.portid, self.agent, self._buf, MAD_SIZE, timeout_ms, retries)
        if rc < 0:
            raise UmadError(f"umad_send failed: {rc} ({os.strerror(ctypes.get_errno())})")

    def recv(self, timeout_ms: int) -> bytes | None:
        """Receive one MAD; None when nothing arrived within ``timeout_ms``."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            length = ctypes.c_int(MAD_SIZE)
            rc = self.lib.umad_recv(self.portid, self._buf, ctypes.byref(length), left)
            if rc >= 0 and self.lib.umad_status(self._buf) == 0:
                return ctypes.string_at(self.lib.umad_get_mad(self._buf), MAD_SIZE)
            if time.monotonic() >= deadline:
                return None
            if rc < 0:
                time.sleep(0.001)  # an error other than the timeout: do not spin
