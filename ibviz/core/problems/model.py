"""What a health check reports: one :class:`Problem` per fault, named the way an operator
names things (host name, GUID, LID, MLID)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(Enum):
    ERROR = "error"
    """Traffic is lost or misdelivered."""
    WARNING = "warning"
    """Suspicious, or will hurt later (a degraded link, a group nobody forwards to)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a fabric's state.

    ``nodes``, ``mlid`` and ``lid`` say what the problem is about, so a view can select it.
    """

    kind: str
    severity: Severity
    subject: str
    """The thing that is wrong: a group, a LID, a switch, a link."""
    detail: str
    """What is wrong with it, naming the switches, ports and members involved."""
    nodes: tuple[int, ...] = field(default=())
    mlid: int | None = None
    lid: int | None = None

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.kind}: {self.subject}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form; GUIDs, MLIDs and LIDs as hex strings."""
        out: dict[str, Any] = {"kind": self.kind, "severity": self.severity.value,
                               "subject": self.subject, "detail": self.detail}
        if self.nodes:
            out["nodes"] = [f"{g:#018x}" for g in self.nodes]
        if self.mlid is not None:
            out["mlid"] = f"{self.mlid:#06x}"
        if self.lid is not None:
            out["lid"] = f"{self.lid:#06x}"
        return out


@dataclass
class Report:
    """Every problem found, and how much was checked (``checked`` counts by thing)."""

    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What could not be checked and why (not problems)."""

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"problems": [p.to_dict() for p in self.problems], "checked": dict(self.checked),
                "notes": list(self.notes)}
