"""Directed-route SMPs (Get/Set of MulticastForwardingTable, ...) sent into an ibsim fabric.

The libibumad part runs as ``python -m ibviz.backends.smp_client``, a child started with
``LD_PRELOAD=libumad2sim.so`` like the SA client of :mod:`ibviz.backends.umad_client`: it
registers the directed-route SMP class (0x81, version 1), sends on QP0 to the permissive
LID 0xFFFF and speaks the same JSON lines (:func:`ibviz.backends.umad_client.serve`).

:class:`SmpClient` is the parent-side handle. The SMPs are encoded and decoded with
:mod:`ibviz.core.packets.smp`, the code that turns the built-in SM's MAD records into bytes.
"""

from __future__ import annotations

import struct
import sys
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from ibviz.backends.umad_client import SaClient, SaClientError, serve_child
from ibviz.core.addressing import MULTICAST_LID_MIN
from ibviz.core.fabric import Fabric
from ibviz.core.model import PortRef
from ibviz.core.packets.smp import (
    METHOD_GET,
    METHOD_SET,
    MFT_ENTRIES_PER_BLOCK,
    MFT_PORTS_PER_POSITION,
    DrSmp,
    decode_dr_smp,
    encode_dr_smp,
    mft_block,
)
from ibviz.core.sm.mads import ATTR, SMP_CLASS

__all__ = ["SmpClient", "SmpError", "dr_path", "main"]

PERMISSIVE_LID = 0xFFFF
SMP_CLASS_VERSION = 1


class SmpError(SaClientError):
    """An SMP was not answered, or answered with a non-zero status."""


def dr_path(fabric: Fabric, source: int, target: int, avoid: Iterable[int] = ()) -> list[int]:
    """Egress port numbers of a shortest directed route from node ``source`` to ``target``.

    Parameters
    ----------
    fabric : Fabric
        The topology (breadth-first over its cables).
    source, target : int
        Node GUIDs; the route starts at ``source``'s own port 0 (a switch) or at its
        cabled port (a CA: the first hop is that port).
    avoid : iterable of int
        Node GUIDs the route must not cross (failed nodes).

    Raises
    ------
    SmpError
        ``target`` cannot be reached.
    """
    skip = set(avoid)
    seen: dict[int, list[int]] = {source: []}
    queue = deque([source])
    while queue:
        guid = queue.popleft()
        if guid == target:
            return seen[guid]
        for num in sorted(fabric.nodes[guid].ports):
            peer = fabric.peer(PortRef(guid, num))
            if peer is None or peer.node in seen or peer.node in skip:
                continue
            seen[peer.node] = [*seen[guid], num]
            queue.append(peer.node)
    raise SmpError(f"no directed route from {source:#x} to {target:#x}")


class _Qp0Agent:
    """A ``UmadAgent`` whose sends go to QP0 (SMPs), for :func:`serve`."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.info = dict(agent.info, sm_lid=PERMISSIVE_LID)

    def send(self, mad: bytes, dlid: int) -> None:
        self.agent.send(mad, dlid, qp=0, qkey=0)

    def recv(self, timeout_ms: int) -> bytes | None:
        return self.agent.recv(timeout_ms)


def main() -> int:
    """Entry point of the child process (attached where ``SIM_HOST`` says)."""
    return serve_child(SMP_CLASS, SMP_CLASS_VERSION, _Qp0Agent)


class SmpClient(SaClient):
    """A directed-route SMP requester attached at one ibsim node.

    Parameters
    ----------
    fabric, sim_host, timeout, start_timeout
        As for :class:`~ibviz.backends.umad_client.SaClient`.
    """

    child_module = "ibviz.backends.smp_client"
    error = SmpError
    what = "SMP client"

    def __enter__(self) -> SmpClient:
        return self.start()

    # -- requests ---------------------------------------------------------------------------
    def smp(self, method: int, attribute: str, modifier: int, path: Sequence[int],
            data: bytes = b"") -> DrSmp:
        """Send one directed-route SMP along ``path`` and return the decoded response.

        Raises
        ------
        SmpError
            No response, or a response with a non-zero MAD status.
        """
        self._tid = (self._tid & ~0xFFFF) | ((self._tid + 1) & 0xFFFF)
        request = DrSmp(method, ATTR[attribute], modifier, data, self._tid,
                        hop_count=len(path), initial_path=bytes([0, *path]) if path else b"")
        try:
            raw = self.send_raw(encode_dr_smp(request), dlid=PERMISSIVE_LID)
        except SaClientError as exc:
            raise SmpError(f"{attribute} {modifier:#x} via path {list(path)}: {exc}") from None
        reply = decode_dr_smp(raw)
        if reply.status:
            raise SmpError(f"{attribute} {modifier:#x} via path {list(path)}: MAD status "
                           f"{reply.status:#06x}")
        return reply

    def get_mft_block(self, path: Sequence[int], block: int, position: int = 0) -> list[int]:
        """The 32 port masks of MFT block ``block`` (16 ports from ``position * 16``)."""
        reply = self.smp(METHOD_GET, "MulticastForwardingTable", position << 28 | block, path)
        return list(struct.unpack(">32H", reply.data[:64]))

    def get_mft_entry(self, path: Sequence[int], mlid: int, num_ports: int) -> frozenset[int]:
        """Ports of the MFT entry of ``mlid`` on the switch at the end of ``path``."""
        block, index = divmod(mlid - MULTICAST_LID_MIN, MFT_ENTRIES_PER_BLOCK)
        ports: set[int] = set()
        for position in range(num_ports // MFT_PORTS_PER_POSITION + 1):
            mask = self.get_mft_block(path, block, position)[index]
            ports |= {position * 16 + bit for bit in range(16) if mask >> bit & 1}
        return frozenset(ports)

    def set_mft_entry(self, path: Sequence[int], mlid: int, ports: Iterable[int],
                      num_ports: int) -> None:
        """Set the MFT entry of ``mlid`` to ``ports``, keeping the block's other 31 entries
        (each 16-port position is read, changed at one index and written back)."""
        wanted = set(ports)
        block, index = divmod(mlid - MULTICAST_LID_MIN, MFT_ENTRIES_PER_BLOCK)
        for position in range(num_ports // MFT_PORTS_PER_POSITION + 1):
            masks = self.get_mft_block(path, block, position)
            masks[index] = sum(1 << (p % 16) for p in wanted if p // 16 == position)
            self.smp(METHOD_SET, "MulticastForwardingTable", position << 28 | block, path,
                     mft_block(masks))


if __name__ == "__main__":
    sys.exit(main())
