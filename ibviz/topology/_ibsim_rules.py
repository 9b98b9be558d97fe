"""How ibsim fills in what a net file leaves out (linux-rdma/ibsim ``sim_net.c``).

* GUIDs: without a ``switchguid=``/``caguid=``/``rtguid=`` line a node takes the next
  GUID of its kind: switches from 0x200000 in steps of 1, CAs from 0x100000 in steps of
  ``ports + 1`` (a CA's port N has GUID node GUID + N), routers likewise from 0.
  ``KEY=V`` sets the base, ``KEY+V`` sets it relative to the last absolute base.
* Link width/speed: each port has an *enabled* mask (``width=``/``speed=``/``extspeed=``
  lines, in force for the nodes declared after them, or ``w=``/``s=``/``e=`` port
  options); a cable runs at the widest/fastest bit both ends enable (an extended speed
  first). Defaults: width 4x, speed SDR, no extended speed.
* ``include "FILE"``: read relative to the including file; only regular files inside the
  top net file's folder (or a folder named in ``IBVIZ_INCLUDE_DIRS``), bounded in number
  and bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ibviz.core.model import NodeKind
from ibviz.core.phy import LinkSpeed, LinkWidth

MAX_INCLUDE_DEPTH = 9
MAX_INCLUDES = 256
MAX_INCLUDE_BYTES = 64 << 20
INCLUDE_DIRS_ENV = "IBVIZ_INCLUDE_DIRS"
INCLUDE_EXPECTED = (f"a regular file in the net file's folder (or in a folder listed in "
                    f"{INCLUDE_DIRS_ENV})")
MASK_LIMITS = {"w": 31, "s": 7, "e": 15}
"""Enabled masks ibsim accepts (``is_linkwidth_valid`` and friends; extended speed 0-7 in
ibsim 0.10, 0-15 with NDR from 0.11 on, which the writer uses for NDR links)."""

WIDTH_BITS = {1: LinkWidth.X1, 2: LinkWidth.X4, 4: LinkWidth.X8, 8: LinkWidth.X12,
              16: LinkWidth.X2}
SPEED_BITS = {1: LinkSpeed.SDR, 2: LinkSpeed.DDR, 4: LinkSpeed.QDR}
DEFAULT_WIDTH_MASK = 2
DEFAULT_SPEED_MASK = 1
_START = {NodeKind.CA: 0x100000, NodeKind.SWITCH: 0x200000, NodeKind.ROUTER: 0}


@dataclass
class GuidCounters:
    """ibsim's per-kind GUID counters."""

    base: dict[NodeKind, int] = field(default_factory=lambda: dict(_START))
    next: dict[NodeKind, int] = field(default_factory=lambda: dict(_START))

    def set_base(self, kind: NodeKind, value: int, relative: bool = False) -> None:
        if relative:
            self.next[kind] = self.base[kind] + value
        else:
            self.base[kind] = self.next[kind] = value

    def take(self, kind: NodeKind, num_ports: int) -> int:
        guid = self.next[kind]
        self.next[kind] += 1 if kind is NodeKind.SWITCH else num_ports + 1
        return guid


@dataclass
class LinkDefaults:
    """Net-wide enabled masks set by ``width=`` and ``speed=`` lines."""

    width_mask: int = DEFAULT_WIDTH_MASK
    speed_mask: int = DEFAULT_SPEED_MASK
    ext_mask: int = 0

    def set(self, key: str, value: int) -> None:
        if key == "width":
            if not 1 <= value <= 31:
                raise ValueError(f"width mask {value} out of range 1-31")
            self.width_mask = value
        elif key == "speed":
            if not 1 <= value <= 7:
                raise ValueError(f"speed mask {value} out of range 1-7")
            self.speed_mask = value
        else:
            if not 0 <= value <= MASK_LIMITS["e"]:
                raise ValueError(f"extspeed mask {value} out of range 0-{MASK_LIMITS['e']}")
            self.ext_mask = value

    def masks(self) -> tuple[int, int, int]:
        """(width, speed, extended speed) masks a node declared now starts with."""
        return self.width_mask, self.speed_mask, self.ext_mask


def c_number(text: str) -> int:
    """A number as C's ``strtoul(text, NULL, 0)`` reads it (``0x`` hex, a leading ``0``
    octal): ibsim and ibnetdiscover files are written and read that way."""
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    return int(text, 8) if len(text) > 1 and text[0] == "0" else int(text)


def include_path(name: str, including_dir: Path, root_dir: Path) -> Path | str:
    """The file an ``include`` names, or why it is refused (a sentence)."""
    path = Path(name) if Path(name).is_absolute() else including_dir / name
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"not found (looked for {path})"
    if not real.is_file():
        return "not a regular file"
    allowed = [root_dir, *(Path(d) for d in os.environ.get(INCLUDE_DIRS_ENV, "").split(
        os.pathsep) if d)]
    if not any(real.is_relative_to(d.resolve()) for d in allowed):
        return f"{real} is outside the net file's folder {root_dir.resolve()}"
    return real


def active_width(mask_a: int, mask_b: int) -> LinkWidth | None:
    common = mask_a & mask_b
    for bit in (8, 4, 2, 16, 1):
        if common & bit:
            return WIDTH_BITS[bit]
    return None


def active_speed(mask_a: int, mask_b: int) -> LinkSpeed | None:
    common = mask_a & mask_b
    for bit in (4, 2, 1):
        if common & bit:
            return SPEED_BITS[bit]
    return None


EXT_SPEED_BITS = {1: LinkSpeed.FDR, 2: LinkSpeed.EDR, 4: LinkSpeed.HDR, 8: LinkSpeed.NDR}


def active_ext_speed(mask_a: int, mask_b: int) -> LinkSpeed | None:
    """Extended speed (``e=`` masks) both ends enable, fastest first; None if none."""
    common = mask_a & mask_b
    for bit in (8, 4, 2, 1):
        if common & bit:
            return EXT_SPEED_BITS[bit]
    return None


def speed_options(speed: LinkSpeed) -> dict[str, int] | None:
    """``s=``/``e=`` masks that make ibsim run a port at ``speed`` (None: ibsim cannot)."""
    if speed in SPEED_BITS.values():
        return {"s": {v: k for k, v in SPEED_BITS.items()}[speed]}
    ext = {v: k for k, v in EXT_SPEED_BITS.items()}.get(speed)
    return None if ext is None else {"s": 7, "e": ext}


def width_mask_for(width: LinkWidth) -> int:
    return {v: k for k, v in WIDTH_BITS.items()}[width]
