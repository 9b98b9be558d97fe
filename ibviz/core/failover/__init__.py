"""Failover of multicast addresses: the controller, its modes, failback and user commands."""

from ibviz.core.failover.controller import FailoverController
from ibviz.core.failover.model import Detection, Failback, Mode, Outcome, ProtectedGroup

__all__ = ["Detection", "Failback", "FailoverController", "Mode", "Outcome", "ProtectedGroup"]
