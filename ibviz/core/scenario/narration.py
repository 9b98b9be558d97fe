"""One plain sentence per failover phase, for a trainer's narration strip."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from ibviz.core.failover.model import Mode
from ibviz.core.failover.roles import serving_at

if TYPE_CHECKING:
    from ibviz.core.scenario.protocols import SessionState as Session

NODE_EVENTS = ("fail", "recover")
"""The log kinds of a node failing and coming back."""
MODE_WORDS = {Mode.MLID: "MLID reassignment", Mode.PORT: "switch multicast port remap",
              Mode.LMC: "the prior art (LID takeover by LMC)", Mode.AUTO: "automatic choice"}


def narrate(s: Session) -> list[tuple[float, str]]:
    fabric, ctl = s.fabric, s.controller
    name = lambda guid: fabric.nodes[guid].label if guid in fabric.nodes \
        else f"{guid:#x}"  # noqa: E731
    lines: list[tuple[float, str]] = []
    kept = getattr(s, "node_events", None)  # every one, where the log may have dropped some
    writes, nodes = [], []  # one pass, time-ordered: MFT writes and remaps; node events
    for e in s.log:
        if e.kind in ("mft", "remap"):
            writes.append(e)
        elif kept is None and e.kind in NODE_EVENTS and e.node is not None:
            nodes.append(e)
    if kept is not None:
        nodes = list(kept)
    for o in ctl.outcomes:
        pg = ctl.groups[o.group]
        mlid = ctl.mlids.get(o.group)
        mlid_text = f" {mlid:#06x}" if mlid else ""
        if o.kind == "failover":
            lines.append((o.started_us, f"Node {name(o.node)} failed; it served group "
                          f"{o.group} (MLID{mlid_text})."))
        else:
            lines.append((o.started_us, f"Node {name(o.target)} is back; group {o.group} "
                          f"fails back to it from {name(o.node)}."))
        if o.detected_us is not None and o.kind == "failover":
            how = "the switch's trap reached the SM, which told the takeover node" \
                if pg.detection.method == "sm" else "the takeover node missed " \
                f"{pg.detection.miss_count} heartbeats"
            lines.append((o.detected_us, f"The failure was noticed after "
                          f"{o.detected_us - o.started_us:.0f} \u00b5s: {how}. Strategy: "
                          f"{MODE_WORDS[o.mode]} ({o.reason})."))
        for t, phase in o.phases[1 if o.kind == "failover" else 0:]:
            lines.append((t, _plain(phase, s)))
        end = o.restored_us if o.restored_us is not None else o.started_us + 1e4
        for e in _changes(writes, o.started_us, end, 4):
            lines.append((e.t_us, "Now " + e.text + "."))
        restored = o.restored_us  # the server named by the roles' one source of truth
        server = serving_at(ctl, o.group, restored) if restored is not None else None
        if restored is not None and server is not None:
            lines.append((restored, f"Group {o.group} is served by {name(server)} "
                          f"after {o.outage_us:.0f} \u00b5s; the remote senders changed nothing."
                          if o.mode is not Mode.LMC else
                          f"{name(server)} answers the old LID after {o.outage_us:.0f} \u00b5s,"
                          f" but {o.remote_peers_touched} remote peer(s) hold stale path "
                          "records and every LFT was rewritten."))
        elif o.problem:
            lines.append((o.started_us, f"Group {o.group} is not served: {o.problem}."))
    lines += _unprotected(nodes, name, {(o.started_us, o.node if o.kind == "failover"
                                         else o.target) for o in ctl.outcomes})
    lines.sort(key=lambda x: x[0])
    return lines


def _unprotected(nodes: list[Any], name: Any, covered: set[tuple[float, int | None]]
                 ) -> list[tuple[float, str]]:
    """A sentence for each node failure or return no group's outcome narrates (a node no
    protected group has as its server): the strip never says "nothing has failed" after
    one, and says why nothing fails over."""
    out = []
    for e in nodes:  # the log's "fail" and "recover" entries
        if (e.t_us, e.node) in covered:
            continue
        out.append((e.t_us, f"{name(e.node)} failed. No protected multicast group is served by it, "
                    "so nothing fails over: the SM routes around it." if e.kind == "fail"
                    else f"{name(e.node)} is back. No protected multicast group is served by it, "
                    "so nothing fails back: the SM routes to it again."))
    return out


def _changes(writes: list[Any], start: float, end: float, most: int) -> list[Any]:
    """The first ``most`` of ``writes`` (the log's MFT writes and remaps, in time order as
    a session appends them) from ``start`` to ``end``, found by bisection: not a scan of
    the whole log (thousands of MAD entries at 10k HCAs) for every outcome."""
    i = bisect.bisect_left(writes, start, key=lambda e: e.t_us)
    return [e for e in writes[i:i + most] if e.t_us <= end]


def _plain(phase: str, s: Session) -> str:
    from ibviz.core.scenario.report import humanize

    text = humanize(phase, s)
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
