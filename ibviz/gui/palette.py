"""Colours of the fabric canvas: the Okabe-Ito colour-blind-safe palette, two themes.

Node state is shown by fill colour *and* by a mark inside the glyph (a cross for failed,
a triangle for taking over, a ring for recovering, a dot for a sender), so the canvas
still reads on a monochrome projector or for a reader who cannot tell the colours apart.
Highlighted multicast trees are drawn like a highlighter pen: a wide band under the link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable with every
common form of colour blindness."""

NODE_STATES = ("active", "failed", "taking_over", "recovering", "sender")
"""Node states the canvas draws, in legend order; ``active`` is the default."""

STATE_LABELS = {
    "active": "Active",
    "failed": "Failed",
    "taking_over": "Taking over",
    "recovering": "Recovering",
    "sender": "Sender",
}

HIGHLIGHT_LABELS = {
    "tree": "Multicast tree",
    "alt": "Second tree",
    "before": "Tree before failover",
}
"""Highlight colour keys accepted by ``FabricView.set_highlight``."""

SPEED_CLASSES = (
    (0.0, 1.0, "unknown"),
    (40.0, 1.0, "up to 40 Gb/s (SDR-QDR)"),
    (100.0, 1.8, "56-100 Gb/s (FDR, EDR)"),
    (200.0, 2.6, "200 Gb/s (HDR)"),
    (float("inf"), 3.6, "400 Gb/s and more (NDR, XDR)"),
)
"""``(highest data rate in Gb/s, line width in pixels, label)``: link speed as width."""


@dataclass(frozen=True)
class CanvasTheme:
    """Every colour the canvas, its legend and the packet layer paint with."""

    name: str
    background: str
    link: str
    link_down: str
    label: str
    label_halo: str
    outline: str
    mark: str
    """Colour of the state marks drawn inside glyphs."""
    selection: str
    state_fill: dict[str, str] = field(default_factory=dict)
    highlight: dict[str, str] = field(default_factory=dict)
    flows: tuple[str, ...] = ()
    """Packet marker colour per flow (cycled)."""
    drop: str = OKABE_ITO["vermillion"]


_SHARED_FLOWS = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["bluish_green"],
                 OKABE_ITO["reddish_purple"], OKABE_ITO["blue"])
"""No yellow (the tree highlight: markers on a highlighted link would vanish) and no
vermillion (drops and failed nodes)."""

THEMES: dict[str, CanvasTheme] = {
    "light": CanvasTheme(
        name="light",
        background="#FFFFFF",
        link="#8A8F98",
        link_down=OKABE_ITO["vermillion"],
        label="#1A1A1A",
        label_halo="#FFFFFF",
        outline="#1F2937",
        mark="#FFFFFF",
        selection="#000000",
        state_fill={"active": OKABE_ITO["blue"], "failed": OKABE_ITO["vermillion"],
                    "taking_over": OKABE_ITO["orange"], "recovering": OKABE_ITO["bluish_green"],
                    "sender": OKABE_ITO["reddish_purple"]},
        highlight={"tree": OKABE_ITO["yellow"], "alt": OKABE_ITO["sky_blue"],
                   "before": "#BDBDBD"},
        flows=_SHARED_FLOWS,
    ),
    "dark": CanvasTheme(
        name="dark",
        background="#15181D",
        link="#6B7280",
        link_down=OKABE_ITO["vermillion"],
        label="#F2F2F2",
        label_halo="#15181D",
        outline="#E5E7EB",
        mark="#15181D",
        selection="#FFFFFF",
        state_fill={"active": OKABE_ITO["sky_blue"], "failed": OKABE_ITO["vermillion"],
                    "taking_over": OKABE_ITO["orange"], "recovering": OKABE_ITO["bluish_green"],
                    "sender": OKABE_ITO["reddish_purple"]},
        highlight={"tree": OKABE_ITO["yellow"], "alt": OKABE_ITO["blue"],
                   "before": "#5A5F66"},
        flows=_SHARED_FLOWS,
    ),
}


def canvas_theme(name: str) -> CanvasTheme:
    """The theme called ``name`` (``light`` or ``dark``)."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; use one of {', '.join(THEMES)}") from None


def state_index(state: str) -> int:
    """Position of ``state`` in :data:`NODE_STATES` (ValueError naming the valid ones)."""
    try:
        return NODE_STATES.index(state)
    except ValueError:
        raise ValueError(f"unknown node state {state!r}; use one of "
                         f"{', '.join(NODE_STATES)}") from None


def speed_class(rate_gbps: float) -> int:
    """Index into :data:`SPEED_CLASSES` for a link's data rate (0 = unknown)."""
    if rate_gbps <= 0:
        return 0
    return next(i for i, (top, _, _) in enumerate(SPEED_CLASSES) if i and rate_gbps <= top)
