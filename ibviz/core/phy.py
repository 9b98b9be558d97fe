"""Physical link attributes: width (lanes) and speed (per-lane rate) of a link.

The strings are the ones ``ibnetdiscover`` prints (``4xHDR``, ``1xSDR``, ``4xFDR10``,
``2xNDR``) and the ones OpenSM writes in ``opensm-subnet.lst`` (``PHY=4x``, ``SPD=25``).
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache


class LinkWidth(Enum):
    """Active link width: number of lanes."""

    X1 = 1
    X2 = 2
    X4 = 4
    X8 = 8
    X12 = 12

    @property
    def lanes(self) -> int:
        return self.value

    @property
    def label(self) -> str:
        return f"{self.value}x"

    @classmethod
    def parse(cls, text: str) -> LinkWidth:
        t = text.strip().lower().rstrip("x")
        try:
            return cls(int(t))
        except ValueError:
            raise ValueError(f"unknown link width {text!r} (expected 1x, 2x, 4x, 8x or 12x)") from None


class LinkSpeed(Enum):
    """Active per-lane link speed, slowest first.

    The value is ``(name, signalling Gb/s per lane, data Gb/s per lane)``; the data
    rate accounts for line encoding (8b/10b up to QDR, 64b/66b from FDR10 on).
    """

    SDR = ("SDR", 2.5, 2.0)
    DDR = ("DDR", 5.0, 4.0)
    QDR = ("QDR", 10.0, 8.0)
    FDR10 = ("FDR10", 10.3125, 10.0)
    FDR = ("FDR", 14.0625, 13.64)
    EDR = ("EDR", 25.78125, 25.0)
    HDR = ("HDR", 53.125, 50.0)
    NDR = ("NDR", 106.25, 100.0)
    XDR = ("XDR", 212.5, 200.0)

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def signalling_gbps(self) -> float:
        return self.value[1]

    @property
    def data_gbps(self) -> float:
        """Usable data rate per lane in Gb/s."""
        return self.value[2]

    @property
    def rank(self) -> int:
        return _SPEED_ORDER[self]

    @classmethod
    def parse(cls, text: str) -> LinkSpeed:
        key = text.strip().upper()
        try:
            return _SPEED_BY_LABEL[key]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown link speed {text!r} (expected one of {names})") from None

    @classmethod
    def from_lst_spd(cls, text: str) -> LinkSpeed:
        """Speed from OpenSM/ibdiagnet ``SPD=`` values (Gb/s per lane, as printed)."""
        key = text.strip().upper()
        if key in _SPEED_BY_LABEL:
            return _SPEED_BY_LABEL[key]
        try:
            return _SPEED_BY_LST[key]
        except KeyError:
            raise ValueError(f"unknown SPD value {text!r}") from None

    @property
    def lst_spd(self) -> str:
        """The ``SPD=`` token OpenSM writes for this speed."""
        return _LST_BY_SPEED[self]


_SPEED_ORDER = {s: i for i, s in enumerate(LinkSpeed)}
_SPEED_BY_LABEL = {s.label: s for s in LinkSpeed}
_LST_BY_SPEED = {
    LinkSpeed.SDR: "2.5",
    LinkSpeed.DDR: "5",
    LinkSpeed.QDR: "10",
    LinkSpeed.FDR10: "FDR10",
    LinkSpeed.FDR: "14",
    LinkSpeed.EDR: "25",
    LinkSpeed.HDR: "50",
    LinkSpeed.NDR: "100",
    LinkSpeed.XDR: "200",
}
_SPEED_BY_LST = {v: k for k, v in _LST_BY_SPEED.items()}
_SPEED_BY_LST.update({"5.0": LinkSpeed.DDR, "10.0": LinkSpeed.QDR, "2.50": LinkSpeed.SDR})

_WIDTH_SPEED_RE = re.compile(r"^(\d+)[xX]([A-Za-z]+\d*)$")


@lru_cache(maxsize=256)
def parse_width_speed(token: str) -> tuple[LinkWidth, LinkSpeed]:
    """Parse ``4xHDR`` / ``1xSDR`` / ``4xFDR10`` as printed by ibnetdiscover."""
    m = _WIDTH_SPEED_RE.match(token.strip())
    if not m:
        raise ValueError(f"expected WIDTHxSPEED such as 4xHDR, got {token!r}")
    return LinkWidth.parse(m.group(1)), LinkSpeed.parse(m.group(2))


def format_width_speed(width: LinkWidth | None, speed: LinkSpeed | None) -> str:
    """Inverse of :func:`parse_width_speed`; defaults to ``4xSDR`` pieces when unknown."""
    w = width.label if width else "4x"
    s = speed.label if speed else "SDR"
    return f"{w}{s}"


def link_rate_gbps(width: LinkWidth | None, speed: LinkSpeed | None) -> float:
    """Usable data rate of a link in Gb/s (width x per-lane data rate)."""
    if width is None or speed is None:
        return 0.0
    return width.lanes * speed.data_gbps
