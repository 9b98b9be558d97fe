"""What ``ibviz whatif`` and the window's What-if panel say of an analysis
(:func:`ibviz.core.whatif.what_if`): the same lines, the same JSON. No Qt."""

from __future__ import annotations

import ipaddress
from typing import Any

from ibviz.core.fabric import Fabric
from ibviz.core.naming import describe_node, plural
from ibviz.core.scenario.compare import STRATEGIES
from ibviz.core.whatif import WhatIf

SHOWN = 12
"""Lines listed of each kind (LIDs, tree changes), then how many more."""


def _failed_names(result: WhatIf, f: Fabric) -> list[str]:
    return [describe_node(f, g) for g in result.failures.nodes] + \
        [f"the cable at {describe_node(f, r.node)} port {r.port}" for r in result.failures.links]


def _lid_owner(f: Fabric, lid: int, guid: int, port: int) -> str:
    """``spine01 (0x..., LID 0x0007)``: the node that held ``lid``, the LID said once (an
    LMC LID other than the port's base LID is named first: ``LID 0x0009 of node (...)``)."""
    text = describe_node(f, guid, port)
    return text if f"LID {lid:#06x}" in text else f"LID {lid:#06x} of {text}"


def _lft_line(changed: list[dict[str, Any]]) -> str:
    """``LFT entries changed: 4700 on 205 switches (190 re-routed, 4510 left without a
    route)``: an entry whose LID lost its route is not a re-route."""
    switches = plural(len({e["switch"] for e in changed}), "switch")
    gone = sum(1 for e in changed if e["new"] is None)
    moved = len(changed) - gone
    return (f"LFT entries changed: {len(changed)} on {switches} "
            f"({moved} re-routed to another port, {gone} left without a route)")


def to_json(result: WhatIf, fabric: Fabric, protect: int | None) -> dict[str, Any]:
    """The analysis as ``ibviz whatif --json`` prints it (GUIDs, MLIDs, LIDs in hex)."""
    d = result.diff
    return {
        "failed": {"nodes": [f"{g:#018x}" for g in result.failures.nodes],
                   "links": [f"{r.node:#018x}:{r.port}" for r in result.failures.links],
                   "names": _failed_names(result, fabric)},
        "model": {k: {"equal": e, "total": t} for k, (e, t) in result.agreement.items()},
        "notes": result.notes,
        "mft_differs": result.mft_differs,
        "already_unreached": result.already_unreached,
        "lids_lost": [f"{lid:#06x}" for lid in result.lids_lost],
        "lids_unreachable": result.unreachable,
        "groups": result.groups,
        "lft_changed": d.lft_changed,
        "mft_changed": d.mft_changed,
        "members_changed": d.members_changed,
        "protect": None if protect is None else {
            "mgid": str(ipaddress.IPv6Address(protect)), "modes": result.protection}}


def text_lines(result: WhatIf, f: Fabric, protect: int | None) -> list[str]:
    """The analysis in lines, as ``ibviz whatif`` prints it and the What-if panel shows it."""
    d = result.diff
    lft_e, lft_t = result.agreement["lft"]
    mft_e, mft_t = result.agreement["mft"]
    lines = [f"what if {' and '.join(_failed_names(result, f))} fails",
             f"model: its own routing gives {lft_e} of {lft_t} LFT entries and {mft_e} of "
             f"{mft_t} MFT entries as the dumps; re-routing starts from the real LFTs"]
    if result.mft_differs:
        n = plural(len(result.mft_differs), "entry", "entries")
        lines.append(f"the dumps' MFTs differ from the model's trees in {n} (the fabric may "
                     "already be broken):")
        lines += [f"  {e['name']} {e['mlid']}: dumps {e['dumps']}, model {e['model']}"
                  for e in result.mft_differs[:SHOWN]]
    if result.already_unreached:
        n = plural(len(result.already_unreached), "member")
        lines.append(f"already before the failure, the dumps' MFTs leave {n} unreached:")
        lines += [f"  {u['subject']}: {u['detail']}" for u in result.already_unreached[:SHOWN]]
    elif result.mft_differs:
        lines.append("already before the failure: the dumps' MFTs still reach every member")
    lines += [f"note: {n}" for n in result.notes]
    owners = f.lid_owners()
    lost = [_lid_owner(f, lid, owners[lid][0].node, owners[lid][0].port)
            for lid in result.lids_lost[:SHOWN]]
    more = f" and {len(result.lids_lost) - SHOWN} more" if len(result.lids_lost) > SHOWN else ""
    lines.append(f"lost with the failure: {plural(len(result.lids_lost), 'LID')}"
                 + (f": {', '.join(lost)}{more}" if lost else ""))
    if result.unreachable:
        lines.append(f"unicast: {plural(len(result.unreachable), 'LID')} "
                     f"become{'s' if len(result.unreachable) == 1 else ''} unreachable:")
        lines += [f"  {u['subject']}: {u['detail']}" for u in result.unreachable[:SHOWN]]
    else:
        lines.append("unicast: every other LID is still delivered from every switch")
    lines.append(_lft_line(d.lft_changed))
    if not result.groups:
        lines.append("multicast: no group loses a member or changes its tree"
                     + (" (in the model, whose trees before the failure are its own, not "
                        "the dumps')" if result.mft_differs else ""))
    for g in result.groups:
        lost_m = ", ".join(g["members_lost"]) or "no member"
        lines.append(f"group MLID {g['mlid']} ({g['mgid']}): loses {lost_m}; "
                     f"{plural(g['members_left'], 'member')} left; tree changes on "
                     f"{plural(len(g['tree_changes']), 'switch')}")
        lines += [f"  {c}" for c in g["tree_changes"][:SHOWN]]
    if protect is not None:
        lines.append(f"protected group {ipaddress.IPv6Address(protect)}:")
        for mode, o in result.protection.items():
            name = STRATEGIES.get(mode, mode)
            if o.get("outage_us") is None:
                lines.append(f"  {name}: {o.get('problem') or 'not restored'}")
                continue
            lines.append(f"  {name}: {o['takeover']} takes over from {o['primary']} in "
                         f"{o['outage_us']:.1f} \u00b5s; {plural(o['mads'], 'MAD')}, "
                         f"{o['lft_blocks_written']} LFT and {o['mft_blocks_written']} MFT "
                         f"blocks, {plural(o['remote_peers_touched'], 'remote peer')} touched, "
                         f"{plural(o['takeover_lids_changed'], 'takeover LID')} lost")
    return lines
