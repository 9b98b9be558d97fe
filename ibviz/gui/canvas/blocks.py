"""Open and close leaf blocks on the fabric canvas (mixed into ``FabricView``).

A block follows the zoom (a badge until the view is zoomed in far enough) until the
user opens or closes it by hand: double-click, the badge's context menu, or
:meth:`CanvasBlocks.set_block`. Hand choices survive topology changes (kept by leaf GUID).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu, QWidget

from ibviz.core.naming import node_name
from ibviz.gui.canvas.detail import CanvasDetail
from ibviz.gui.canvas.model import CanvasModel


class CanvasBlocks:
    """Methods of :class:`ibviz.gui.canvas.view.FabricView` about leaf blocks."""

    _model: CanvasModel | None

    if TYPE_CHECKING:  # provided by FabricView and CanvasNavigation
        def _scale(self) -> float: ...
        def _invalidate(self, links: bool = False) -> None: ...

    def _detail(self) -> tuple[CanvasModel, CanvasDetail]:
        """The model and its level of detail (KeyError when the fabric has none)."""
        model = self._model
        if model is None or model.detail is None:
            raise KeyError("the canvas shows no fabric with leaf blocks")
        return model, model.detail

    def blocks(self) -> dict[int, list[int]]:
        """Leaf GUID -> GUIDs of its collapsible block of end nodes."""
        model = self._model
        if model is None or model.detail is None:
            return {}
        d = model.detail
        return {model.guids[leaf]: [model.guids[i] for i in d.members[b].tolist()]
                for b, leaf in enumerate(d.leaves.tolist())}

    def collapsed_blocks(self) -> list[int]:
        """Leaf GUIDs whose blocks are badges at the current zoom."""
        model = self._model
        if model is None or model.detail is None:
            return []
        d = model.detail
        return [model.guids[int(d.leaves[b])] for b in d.collapsed(self._scale()).tolist()]

    def set_block(self, leaf: int, collapsed: bool | None) -> None:
        """Close (True) or open (False) the block under switch ``leaf`` (GUID), or give
        it back to the zoom rule (None). KeyError for a node without a block."""
        model, detail = self._detail()
        index = model.index.get(leaf, -1)
        if index not in detail.lod.badges:
            raise KeyError(f"node {leaf:#018x} has no block of end nodes")
        if collapsed is None:
            detail.lod.release(index)
        else:
            detail.lod.forced[index] = collapsed
        self._invalidate(links=True)

    def set_all_blocks(self, collapsed: bool | None) -> None:
        """Close or open every block by hand, or give them all back to the zoom rule."""
        if self._model is not None and self._model.detail is not None:
            self._model.detail.set_all(collapsed)
            self._invalidate(links=True)

    def toggle_block(self, block: int) -> bool:
        """Open a closed block or close an open one (by block index); True when closed."""
        closed = self._detail()[1].toggle(block, self._scale())
        self._invalidate(links=True)
        return closed

    def block_text(self, block: int) -> str:
        """Tooltip of a badge: its count, its leaf and what a double-click does."""
        model, detail = self._detail()
        leaf = model.fabric.node(model.guids[int(detail.leaves[block])])
        return (f"{len(detail.members[block])} end nodes under {node_name(leaf)}\n"
                "Double-click to open this block; zoom in to open every block")

    def block_menu(self, block: int, where: QPoint) -> None:
        """Context menu of a badge."""
        menu = QMenu(cast(QWidget, self))
        menu.addAction(f"Open this block ({len(self._detail()[1].members[block])} end nodes)",
                       lambda: self.toggle_block(block))
        menu.addSeparator()
        menu.addAction("Open every block", lambda: self.set_all_blocks(False))
        menu.addAction("Close every block", lambda: self.set_all_blocks(True))
        menu.addAction("Blocks follow the zoom", lambda: self.set_all_blocks(None))
        menu.popup(where)

    def _keep_forced(self, old: CanvasModel | None) -> None:
        """Carry hand-opened/closed blocks from model ``old`` to the current one."""
        new = self._model
        if old is None or new is None or old.detail is None or new.detail is None:
            return
        for leaf, closed in old.detail.lod.forced.items():
            index = new.index.get(old.guids[leaf], -1)
            if index in new.detail.lod.badges:
                new.detail.lod.forced[index] = closed
