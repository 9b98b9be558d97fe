"""Scenarios and sessions: a fabric, its SM, traffic, failover and a timeline, run on the
event engine (deterministic for a seed)."""

from ibviz.core.scenario.model import (
    Action,
    FailoverSpec,
    FlowSpec,
    GroupSpec,
    MemberSpec,
    Scenario,
    ScenarioError,
    SmOptions,
)
from ibviz.core.scenario.session import LogEntry, Session

__all__ = ["Action", "FailoverSpec", "FlowSpec", "GroupSpec",
           "LogEntry", "MemberSpec", "Scenario", "ScenarioError", "Session", "SmOptions"]
