"""The three failover strategies side by side: what each costs, explained in one line,
and what each needs from the fabric. ``ibviz run --compare`` and the window's comparison
show the same figures from here.

Figures count failovers only (failbacks are alike across strategies) and only what a
strategy's own steps add: the SM's sweep for the node loss happens whatever the strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STRATEGIES: dict[str, str] = {"mlid": "MLID reassignment", "port": "port remap",
                              "lmc": "prior-art LMC takeover"}
SOURCES: dict[str, str] = {"mlid": "method 700, FIG. 8", "port": "method 900, FIG. 10",
                           "lmc": "para. 11-12"}
NEEDS: dict[str, str] = {
    "mlid": "switches that keep multicast tables (an MFT entry per MLID); where the fabric "
            "allows one member at a time, a proxy leave before the takeover joins",
    "port": "the primary and the takeover on one switch that forwards the MLID by its "
            "default multicast ports (SwitchInfo), i.e. without an MFT entry for it",
    "lmc": "LMC headroom: an aligned block of 2^LMC LIDs holding the failed LID (and "
           "ideally the takeover's own) without LID 0; ports in the block are moved and "
           "every switch's LFT is recomputed"}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    explain: str
    value: Callable[[list[dict[str, Any]], dict[str, Any]], Any]
    lower_is_better: bool = True


def _sum(key: str) -> Callable[[list[dict[str, Any]], dict[str, Any]], int]:
    return lambda fos, _r: sum(int(o.get(key) or 0) for o in fos)


def _outage(fos: list[dict[str, Any]], _r: dict[str, Any]) -> float | None:
    out = [o["outage_us"] for o in fos if o.get("outage_us") is not None]
    return max(out) if out and len(out) == len(fos) else None


def _span(start: str, end: str) -> Callable[[list[dict[str, Any]], dict[str, Any]], Any]:
    def worst(fos: list[dict[str, Any]], _r: dict[str, Any]) -> float | None:
        spans = [o[end] - o[start] for o in fos
                 if o.get(end) is not None and o.get(start) is not None]
        return max(spans) if spans else None
    return worst


METRICS: tuple[Metric, ...] = (
    Metric("detection_us", "detection (\u00b5s)", "from the failure until it is noticed (the same "
           "for every strategy: peer heartbeats or the SM's trap)",
           _span("failed_us", "detected_us")),
    Metric("restore_us", "restore (\u00b5s)", "from detection until the group is served again: "
           "the strategy's own time", _span("detected_us", "restored_us")),
    Metric("outage_us", "outage (\u00b5s)", "from the failure to the group served again, "
           "detection included (worst failover)", _outage),
    Metric("packets_lost", "lost in failovers", "data packets sent between the failure and "
           "the group being served again that never arrived", _sum("packets_lost")),
    Metric("mads", "MADs sent", "management datagrams the strategy's steps sent (SMPs and SA "
           "requests)", _sum("mads")),
    Metric("nodes_touched", "nodes touched", "nodes and switches whose state the strategy "
           "changed", _sum("nodes_touched")),
    Metric("lft_blocks_written", "LFT blocks written", "unicast forwarding table blocks "
           "(64 LIDs each) rewritten in switches because of the strategy",
           _sum("lft_blocks_written")),
    Metric("mft_blocks_written", "MFT blocks written", "multicast forwarding table blocks "
           "rewritten in switches because of the strategy", _sum("mft_blocks_written")),
    Metric("remote_peers_touched", "remote peers touched", "remote nodes that must do "
           "something (re-query path records); the patent's methods need none",
           _sum("remote_peers_touched")),
    Metric("takeover_lids_changed", "takeover LIDs lost", "LIDs the takeover port stopped "
           "answering to (LMC alignment moved its base LID)", _sum("takeover_lids_changed")),
    Metric("connections_broken", "connections broken", "RC/UC connections with an end whose "
           "LID the strategy moved: they must be torn down and rebuilt",
           _sum("connections_broken")),
)


def failovers(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in report.get("failover", []) if o.get("kind") == "failover"]


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """One strategy's figures: ``{metric key: value, "problems": [...], "invariants": ...}``."""
    fos = failovers(report)
    row: dict[str, Any] = {m.key: m.value(fos, report) for m in METRICS}
    row["problems"] = list(dict.fromkeys(o["problem"] for o in fos if o.get("problem")))
    inv = report.get("invariants", {})
    row["invariants_ok"] = bool(inv.get("conservation", True) and inv.get("exactly_once", True)
                                and not inv.get("loops") and not inv.get("duplicates"))
    row["invariant_problems"] = list(inv.get("problems", []))[:1]
    row["invariants_broken"] = broken_invariants(inv)
    row["not_applicable"] = not_applicable(report)
    return row


def broken_invariants(inv: dict[str, Any]) -> list[str]:
    """The invariants that failed, each named: conservation, exactly-once, loops, duplicates."""
    broken = []
    if not inv.get("conservation", True):
        broken.append("conservation (packets sent = delivered + dropped + in flight)")
    if not inv.get("exactly_once", True):
        broken.append("exactly-once delivery to every live member")
    if inv.get("loops"):
        broken.append(f"no forwarding loops ({inv['loops']} looped)")
    if inv.get("duplicates"):
        broken.append(f"no duplicates ({inv['duplicates']} delivered twice)")
    return broken


def not_applicable(report: dict[str, Any]) -> str | None:
    """Why the report's strategy cannot apply to its fabric (None when it can): MLID
    reassignment needs every switch to keep a multicast table."""
    if report.get("mode") != "mlid":
        return None
    return mlid_not_applicable(report.get("fabric", {}))


def mlid_not_applicable(facts: dict[str, Any]) -> str | None:
    """Why MLID reassignment cannot work on a fabric with these facts
    (:func:`~ibviz.core.scenario.report.fabric_facts`), or None."""
    bare = facts.get("switches_without_multicast_table", [])
    if not bare:
        return None
    who = f"switch {bare[0]} keeps" if len(bare) == 1 else \
        f"switches {', '.join(bare)} keep"
    return (f"MLID reassignment needs switch multicast tables; {who} none "
            "(MulticastFDBCap = 0)")


def cell_text(row: dict[str, Any], key: str) -> str:
    """A figure as shown: "n/a" where the strategy cannot apply to this fabric."""
    if row.get("not_applicable"):
        return "n/a"
    return format_value(row.get(key))


def invariants_text(row: dict[str, Any]) -> str:
    """The invariants line: "ok", "n/a", or "BROKEN: <names>"."""
    if row.get("not_applicable"):
        return "n/a"
    if row.get("invariants_ok"):
        return "ok"
    names = row.get("invariants_broken") or []
    return "BROKEN: " + ", ".join(n.split(" (")[0] for n in names) if names else "BROKEN"


def format_value(value: Any) -> str:
    if value is None:
        return "not restored"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def explanation() -> dict[str, Any]:
    """The JSON ``--compare`` adds beside the reports: what each figure means and what each
    strategy needs."""
    return {"metrics": {m.key: f"{m.label}: {m.explain}" for m in METRICS},
            "needs": {k: f"{STRATEGIES[k]} ({SOURCES[k]}) needs {v}" for k, v in NEEDS.items()}}
