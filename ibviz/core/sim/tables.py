"""The forwarding tables the switches hold, as opposed to the ones the SM computed.

The subnet manager decides a table and sends it as SMPs (``MulticastForwardingTable``
per MLID block, ``LinearForwardingTable`` per 64-LID block); a switch forwards by the
new entry only once that SMP reached it. :class:`DataPlane` keeps the switches' copy:
it starts as the SM's tables when the simulator is built and takes each write at its
MAD's arrival, half way through the SMP's modelled round trip (the request crossed the
directed route and the SMA applied it; the response is still on its way back). So the
make-before-break order of :mod:`ibviz.core.sm.mft_order`, whose writes the SM sends
one after another, is the order in which the switches change under packets in flight.

A table change that comes with no SMP (a state file read into the SM, the lab's mirror
of a real SM) takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ibviz.core import events as ev
from ibviz.core.model import NO_PATH
from ibviz.core.sim.engine import Engine
from ibviz.core.sm.manager import LFT_BLOCK, SubnetManager

Entry = frozenset[int]


class DataPlane:
    """Per switch: the MFT entries and the LFT the switch itself holds."""

    __slots__ = ("sm", "engine", "mfts", "lfts", "_own", "_announced", "changed",
                 "applied", "_unsubscribe")

    def __init__(self, sm: SubnetManager, engine: Engine,
                 changed: Callable[[], None]) -> None:
        self.sm = sm
        self.engine = engine
        self.changed = changed
        """Called after every change of a held table (the simulator drops its caches)."""
        self.mfts: dict[int, dict[int, Entry]] = {}
        self.lfts: dict[int, np.ndarray] = {}
        self._own: set[int] = set()
        """Switches whose held LFT is this plane's own copy (else shared with the SM)."""
        self._announced: set[tuple] = set()
        """Writes announced by an SMP and not yet confirmed by the SM's change event."""
        self.applied = 0
        """Writes applied at their MAD's arrival so far."""
        self.resync()
        bus = sm.events
        subs = [bus.subscribe(ev.MadSent, self._mad), bus.subscribe(ev.MftChanged, self._mft),
                bus.subscribe(ev.LftChanged, self._lft),
                bus.subscribe(ev.SessionReset, lambda _e: self.resync())]
        self._unsubscribe = subs

    def close(self) -> None:
        """Stop listening to the SM (the session that owned this simulator is gone)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def resync(self) -> None:
        """Hold exactly the SM's tables (start, or a session rebuilt)."""
        self.mfts = {sw: dict(t) for sw, t in self.sm.mfts.items()}
        self.lfts = dict(self.sm.lfts)  # shared until a write changes one
        self._own.clear()
        self._announced.clear()
        self.changed()

    # ------------------------------------------------------------- SM side
    def _mad(self, e: ev.MadSent) -> None:
        mad = e.mad
        attr = mad.attribute
        if attr == "MulticastForwardingTable":
            sw, fields = mad.dst.node, mad.fields
            mlid = fields.get("mlid")
            if mlid is None:
                return
            self._announced.add((sw, mlid))
            ports = fields.get("ports")
            entry = frozenset(ports) if ports is not None else None
            self.engine.at(self._arrival(mad), self._set_mft,
                           args=(sw, mlid, entry))
        elif attr == "LinearForwardingTable":
            sw = mad.dst.node
            self._announced.add((sw,))
            self.engine.at(self._arrival(mad), self._set_lft_block,
                           args=(sw, mad.modifier))

    def _arrival(self, mad) -> float:
        """When the SMA applies ``mad``: half way through its round trip."""
        return max(self.engine.now, mad.time_us + mad.latency_us / 2)

    def _mft(self, e: ev.MftChanged) -> None:
        key = (e.switch, e.mlid)
        if key in self._announced:
            self._announced.discard(key)
        else:  # no SMP: the switch holds it at once
            self._set_mft(e.switch, e.mlid, e.new)

    def _lft(self, e: ev.LftChanged) -> None:
        key = (e.switch,)
        if key in self._announced:
            self._announced.discard(key)
        else:
            table = self.sm.lfts.get(e.switch)
            if table is None:
                self.lfts.pop(e.switch, None)
            else:
                self.lfts[e.switch] = table
            self._own.discard(e.switch)
            self.changed()

    # -------------------------------------------------------- switch side
    def _set_mft(self, sw: int, mlid: int, entry: Entry | None) -> None:
        """An MFT write reaches switch ``sw`` (``None``: the SM's current entry)."""
        if entry is None:
            entry = self.sm.mfts.get(sw, {}).get(mlid, frozenset())
        table = self.mfts.setdefault(sw, {})
        if entry:
            table[mlid] = entry
        else:
            table.pop(mlid, None)
        self.applied += 1
        self.changed()

    def _set_lft_block(self, sw: int, block: int) -> None:
        """An LFT block write reaches switch ``sw``: it holds the SM's entries of that
        block (as the SM has them now: a newer write of the same block is on its way)."""
        new = self.sm.lfts.get(sw)
        if new is None:
            return
        held = self.lfts.get(sw)
        lo, hi = block * LFT_BLOCK, (block + 1) * LFT_BLOCK
        if held is None or sw not in self._own or len(held) < len(new):
            size = len(new) if held is None else max(len(new), len(held))
            if held is not None and len(held) == size:  # one copy, no fill first
                copy = np.asarray(held).astype(np.uint8, copy=True)
            else:
                copy = np.full(size, NO_PATH, np.uint8)
                if held is not None:
                    copy[: len(held)] = held
            held = self.lfts[sw] = copy
            self._own.add(sw)
        held[lo:hi] = NO_PATH
        part = new[lo:hi]
        held[lo: lo + len(part)] = part
        self.applied += 1
        self.changed()

    def mft_entry(self, sw: int, mlid: int) -> Entry | None:
        table = self.mfts.get(sw)
        return None if table is None else table.get(mlid)
