"""Ready-made failover runs on the OpenSM lab, for the failover fabrics (fig8, fig10, demo).

``mlid`` (mode 1): the primary joins a group as a Full member and the senders as send-only
full members; the primary fails (ibsim ``Unlink``), OpenSM drops it, the takeover joins
through the SA, then the primary comes back, rejoins and the takeover leaves.

``port`` (mode 2, as the lab can do it): the controller programs its own MLID toward the
primary, the primary fails, the controller moves the MLID's MFT entry on the shared switch
to the takeover's port by SMP, and back after the primary returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ibviz.backends.base import BackendError
from ibviz.backends.lab.failover import MODE2_NOTE, OWNED_MLID
from ibviz.core.addressing import make_mgid
from ibviz.core.fabric import Fabric
from ibviz.core.failover.model import Outcome
from ibviz.core.sm.manager import SubnetManager
from ibviz.core.sm.records import JoinState

__all__ = ["LAB_MGID", "LAB_SCENARIOS", "LabApi", "run_lab_scenario"]

LAB_MGID = make_mgid(group_id=0x1AB)
"""The group the ``mlid`` scenario uses."""
LAB_SCENARIOS = {
    "mlid": "mode 1, MLID reassignment, fully on the real OpenSM (with failback)",
    "port": "mode 2 as the lab can do it: the controller's own MFT writes by SMP",
}


class LabApi(Protocol):
    """What a scenario uses of a started lab (:class:`~ibviz.backends.lab.OpenSmLab`)."""

    fabric: Fabric
    sm: SubnetManager

    def join(self, guid: int, mgid: int, join_state: JoinState = ...) -> None: ...
    def fail_node(self, guid: int, timeout: float = ...) -> None: ...
    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str,
                   files: Any = ...) -> float: ...
    def program_owned_mlid(self, target_guid: int, mlid: int = ...
                           ) -> dict[int, frozenset[int]]: ...
    def failover_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = ...) -> Outcome: ...
    def failback_mlid(self, group_mgid: int, primary_guid: int, takeover_guid: int,
                      timeout: float = ...) -> Outcome: ...
    def failover_port(self, primary_guid: int, takeover_guid: int, mlid: int = ...
                      ) -> Outcome: ...
    def failback_port(self, primary_guid: int, takeover_guid: int, mlid: int = ...
                      ) -> Outcome: ...


def run_lab_scenario(lab: LabApi, name: str, roles: dict[str, Any],
                     say: Callable[[str], None] = print) -> list[Outcome]:
    """Run scenario ``name`` on a started lab; ``roles`` as in ``FAILOVER_ROLES``.

    Returns the failover and the failback outcome.

    Raises
    ------
    BackendError
        Unknown scenario, or a step the real tools refused.
    """
    if name not in LAB_SCENARIOS:
        raise BackendError(f"no lab scenario {name!r}; choose one of "
                           f"{', '.join(sorted(LAB_SCENARIOS))}")
    primary, takeover = roles["primary"], roles["takeover"]
    label = lambda guid: lab.fabric.nodes[guid].label  # noqa: E731
    if name == "mlid":
        lab.join(primary, LAB_MGID, JoinState.FULL)
        for sender in roles["senders"]:
            lab.join(sender, LAB_MGID, JoinState.SEND_ONLY_FULL)
        mlid = lab.sm.sa.groups[LAB_MGID].mlid
        say(f"group {LAB_MGID:#x}: MLID {mlid:#06x}, {label(primary)} Full, "
            f"{len(roles['senders'])} send-only full sender(s)")
        lab.wait_until(lambda: bool(lab.sm.mfts.get(roles["switch"], {}).get(mlid)), 10.0,
                       "OpenSM to program the group's tree")
    else:
        say(f"mode 2 in the lab: {MODE2_NOTE}")
        lab.program_owned_mlid(primary)
        say(f"controller-owned MLID {OWNED_MLID:#06x} programmed toward {label(primary)}")
    lab.fail_node(primary)
    say(f"{label(primary)} failed (ibsim Unlink); OpenSM dropped it")
    if name == "mlid":
        outcomes = [lab.failover_mlid(LAB_MGID, primary, takeover)]
        outcomes.append(lab.failback_mlid(LAB_MGID, primary, takeover))
    else:
        outcomes = [lab.failover_port(primary, takeover)]
        outcomes.append(lab.failback_port(primary, takeover))
    for out in outcomes:
        say(f"{out.kind}: {label(out.target or primary)} serves the group after "
            f"{(out.restored_us or 0) / 1000:.1f} ms, {out.mads} management request(s)"
            + (f"; problem: {out.problem}" if out.problem else ""))
    return outcomes
