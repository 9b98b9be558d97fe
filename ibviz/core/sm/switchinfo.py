"""SwitchInfo (SMP attribute 0x0012): what the SM reads and sets on each switch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SwitchInfo:
    """The SwitchInfo fields ibviz models.

    ``multicast_fdb_cap == 0`` means the switch keeps no multicast forwarding table: it
    forwards every multicast packet on its default multicast ports (seed para. 50).
    Default multicast ports are 0 ("not set") until the SM or a controller sets them.
    """

    linear_fdb_cap: int = 49152
    linear_fdb_top: int = 0
    multicast_fdb_cap: int = 1024
    multicast_fdb_top: int = 0xBFFF
    default_port: int = 0
    default_mcast_primary_port: int = 0
    default_mcast_not_primary_port: int = 0
    lifetime: int = 0x13
    enhanced_port0: bool = False

    @property
    def keeps_multicast_table(self) -> bool:
        return self.multicast_fdb_cap > 0
