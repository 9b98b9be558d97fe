"""What the window shows while What-if is on: the model SM after the failures
(:attr:`ibviz.core.whatif.WhatIf.model`), as a session-like view every panel reads
(``fabric``: the model's live fabric, ``sm``: its LFTs, MFTs and groups) instead of the
dumps. No Qt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibviz.core.fabric import Fabric
from ibviz.core.naming import node_name


@dataclass(frozen=True)
class ModelView:
    """``fabric``/``sm`` as a session has them; ``failed``: GUIDs the failures took away
    (failed, or cut off from the SM); ``whole``: the model's fabric with them."""

    fabric: Fabric
    sm: Any
    whole: Fabric
    failed: frozenset[int]

    def gone_text(self, guid: int) -> str | None:
        """Why node ``guid`` is not in the model (None: it is)."""
        if guid in self.fabric.nodes or guid not in self.whole.nodes:
            return None
        name = node_name(self.whole.nodes[guid])
        how = "failed" if guid in self.sm.failed else "cut off by the failures"
        return f"What-if: {name} is {how}; nothing reaches it on the model"


def model_view(result: Any) -> ModelView | None:
    """The view of a :class:`~ibviz.core.whatif.WhatIf` (None: no result or no model)."""
    sm = getattr(result, "model", None)
    if sm is None:
        return None
    live = sm.live_fabric()
    gone = frozenset(g for g in sm.fabric.nodes if g not in live.nodes)
    return ModelView(live, sm, sm.fabric, gone)
