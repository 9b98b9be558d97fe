"""The objects OpenSM's fat-tree engine (``osm_ucast_ftree.c``) builds and routes over.

One :class:`FtSwitch` per switch, one :class:`FtHca` per CA, and :class:`FtGroup`, a
port group: all the ports of one node that lead to one neighbour (parallel links to one
switch form one group; each CA port is its own group). Plain objects with ``__slots__``:
the routing walks them recursively, entry by entry, as OpenSM does, so attribute access
must be cheap. Tables are ``bytearray`` indexed by LID (255 = no path).
"""

from __future__ import annotations

NO_PATH = 255
TUPLE_LEN = 8
UNASSIGNED = (0xFF,) * TUPLE_LEN
UNRANKED = 0xFFFFFFFF


class FtreeUnsupported(Exception):
    """The fabric is not a fat tree as OpenSM's ftree engine sees it: OpenSM falls back
    to its default engine (minhop). The message is the reason OpenSM logs."""


class FtPort:
    """One physical port of a group, with its up/down route counters."""

    __slots__ = ("num", "remote_num", "counter_up", "counter_down")

    def __init__(self, num: int, remote_num: int) -> None:
        self.num = num
        self.remote_num = remote_num
        self.counter_up = 0
        self.counter_down = 0


class FtGroup:
    """``ftree_port_group_t``: the ports of ``owner`` that lead to a switch (``remote``)
    or to a CA (``hca``; ``remote`` is then the inert :data:`CA_SIDE`)."""

    __slots__ = ("lid", "remote_lid", "owner", "remote", "hca", "remote_is_sw", "ports",
                 "is_cn", "is_io", "counter_up", "counter_down", "rkey")

    def __init__(self, lid: int, remote_lid: int, owner: FtSwitch | FtHca,
                 remote: FtSwitch | FtHca, *, is_cn: bool = False,
                 is_io: bool = False) -> None:
        self.lid = lid
        self.remote_lid = remote_lid
        self.owner = owner
        self.remote_is_sw = isinstance(remote, FtSwitch)
        self.remote: FtSwitch = remote if isinstance(remote, FtSwitch) else CA_SIDE
        self.hca: FtHca | None = remote if isinstance(remote, FtHca) else None
        self.ports: list[FtPort] = []
        self.is_cn = is_cn
        self.is_io = is_io
        self.counter_up = 0
        self.counter_down = 0
        self.rkey: tuple[int, ...] = ()
        """:meth:`index_key`, frozen once the switches are indexed (before routing)."""

    def add_port(self, num: int, remote_num: int) -> None:
        """``port_group_add_port``: a port number already in the group is ignored."""
        if all(p.num != num for p in self.ports):
            self.ports.append(FtPort(num, remote_num))

    def index_key(self) -> tuple[int, ...]:
        """Sort key of ``compare_port_groups_by_remote_switch_index``.

        For a group leading to a CA, OpenSM reads the CA object as if it were a switch
        (a union of pointers) and compares bytes of heap pointers, which puts it after
        every switch group; among themselves such groups keep their order here (see
        :mod:`ibviz.core.sm.ftree`).
        """
        return self.remote.tuple if self.remote_is_sw else (0x100,)


class FtSwitch:
    """``ftree_sw_t``: rank, tuple, port groups by direction, LFT and hop table."""

    __slots__ = ("guid", "lid", "num_ports", "rank", "tuple", "down",
                 "up", "sibling", "is_leaf", "down_idx", "min_counter_down",
                 "counter_up_changed", "lft", "hops", "down_sw", "plain_leaf")

    def __init__(self, guid: int, lid: int, num_ports: int, max_lid: int) -> None:
        self.guid = guid
        self.lid = lid
        self.num_ports = num_ports
        self.rank = UNRANKED
        self.tuple = UNASSIGNED
        self.down: list[FtGroup] = []
        self.up: list[FtGroup] = []
        self.sibling: list[FtGroup] = []
        self.is_leaf = False
        self.down_idx = 0
        self.min_counter_down = 0
        self.counter_up_changed = False
        self.down_sw = 0
        """Down groups that lead to switches (set before routing; groups only move)."""
        self.plain_leaf = False
        """Only CAs below and no sibling: going down from here routes nothing more."""
        self.lft = bytearray([NO_PATH]) * (max_lid + 1)
        self.hops = bytearray([NO_PATH]) * (max_lid + 1)

    @property
    def ranked(self) -> bool:
        return self.rank != UNRANKED

    def groups(self, direction: int) -> list[FtGroup]:
        """Down (-1), sibling (0) or up (+1) groups."""
        return self.up if direction > 0 else self.sibling if direction == 0 else self.down

    def add_port(self, num: int, remote_num: int, remote_lid: int,
                 remote: FtSwitch | FtHca, direction: int) -> None:
        """``sw_add_port``: one group per (direction, remote LID)."""
        groups = self.groups(direction)
        for group in groups:
            if group.remote_lid == remote_lid:
                break
        else:
            group = FtGroup(self.lid, remote_lid, self, remote)
            groups.append(group)
        group.add_port(num, remote_num)

    def __repr__(self) -> str:
        shown = ".".join(str(t) for t in self.tuple if t != 0xFF)
        return f"FtSwitch({self.guid:#x}, rank {self.rank}, index {shown or '-'})"


CA_SIDE = FtSwitch(0, 0, 0, 0)
"""Stands for the switch behind a group that leads to a CA; never routed or read."""


class FtHca:
    """``ftree_hca_t``: a CA and its up-going port groups (one per connected port)."""

    __slots__ = ("guid", "up", "disconnected", "cn_num")

    def __init__(self, guid: int) -> None:
        self.guid = guid
        self.up: list[FtGroup] = []
        self.disconnected: set[int] = set()
        self.cn_num = 0

    def group_by_lid(self, lid: int) -> FtGroup | None:
        for group in self.up:
            if group.lid == lid:
                return group
        return None
