"""The headless core of ibviz: fabric model, addressing and (later) SM, failover and simulator.

This package never imports Qt; ``tests/test_layering.py`` and the import-linter
contracts in ``pyproject.toml`` keep it that way.
"""

from ibviz.core.fabric import Fabric, FabricError
from ibviz.core.model import CaRole, Link, Node, NodeKind, Port, PortRef, PortState
from ibviz.core.phy import LinkSpeed, LinkWidth

__all__ = [
    "CaRole", "Fabric", "FabricError", "Link", "LinkSpeed", "LinkWidth", "Node", "NodeKind",
    "Port", "PortRef", "PortState",
]
