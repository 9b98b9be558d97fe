"""Render the application icon (an SVG) to the PNG sizes of the hicolor icon theme.

    python3 packaging/render_icons.py resources/icons/ibviz.svg OUT_DIR

writes ``OUT_DIR/<size>x<size>/apps/ibviz.png`` for every size in :data:`SIZES`, using
Qt's own SVG renderer (QtSvg, already a dependency of the app) on the offscreen platform.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def render(svg: Path, out_dir: Path, name: str = "ibviz") -> list[Path]:
    """Render ``svg`` to ``out_dir/<n>x<n>/apps/<name>.png``; return the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"{size}x{size}" / "apps" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("svg", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    for path in render(args.svg, args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
