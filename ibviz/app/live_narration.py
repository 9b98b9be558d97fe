"""Narration for a live backend: one plain sentence per failure, failover and failback,
written from what OpenSM actually programmed (the mirror's MFTs). No Qt here."""

from __future__ import annotations

from typing import Any

from ibviz.core.failover.model import Outcome
from ibviz.core.model import NodeKind, PortRef


class LiveNarrator:
    """``lines``: (session time in microseconds, sentence), oldest first."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.lines: list[tuple[float, str]] = []

    def _say(self, text: str) -> None:
        self.lines.append((self.session.now_us, text))

    def _label(self, guid: int | None) -> str:
        node = self.session.fabric.nodes.get(guid) if guid is not None else None
        return node.label if node is not None else "?"

    def failed(self, guid: int) -> None:
        self._say(f"{self._label(guid)} failed: ibsim unlinked it, and OpenSM drops its "
                  "group memberships in a heavy sweep.")

    def _forwarding(self, guid: int | None, mgid: int) -> str:
        """``switch S1 now forwards 0xc001 to port 3`` for the switch ``guid`` hangs off."""
        s = self.session
        group = s.sm.sa.groups.get(mgid)
        node = s.fabric.nodes.get(guid) if guid is not None else None
        if group is None or node is None or node.kind is NodeKind.SWITCH:
            return ""
        for num in sorted(node.ports):
            peer = s.fabric.peer(PortRef(node.guid, num)) if num else None
            if peer is None:
                continue
            ports = sorted(s.sm.mfts.get(peer.node, {}).get(group.mlid, ()))
            if ports:
                return (f"; OpenSM now has switch {self._label(peer.node)} forward "
                        f"{group.mlid:#06x} to port{'s' if len(ports) > 1 else ''} "
                        f"{', '.join(map(str, ports))} (port {peer.port} leads to "
                        f"{node.label})")
        return ""

    def outcome(self, out: Outcome) -> None:
        pg = self.session.controller.groups.get(out.group)
        mgid = pg.mgid if pg is not None else 0
        group = self.session.sm.sa.groups.get(mgid)
        mlid = f" keeps MLID {group.mlid:#06x}" if group is not None else " is gone"
        if out.kind == "failover":
            text = (f"{self._label(out.target)} joins group {out.group} through OpenSM's SA; "
                    f"the group{mlid}{self._forwarding(out.target, mgid)}.")
        else:
            who = self._label(pg.takeover) if pg is not None else "the takeover"
            text = (f"{self._label(out.node)} is back and rejoins {out.group}, {who} leaves; "
                    f"the group{mlid}{self._forwarding(out.node, mgid)}.")
        if out.problem:
            text += f" Problem: {out.problem}."
        self._say(text)
