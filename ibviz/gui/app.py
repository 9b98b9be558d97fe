"""Entry point of the Qt application: ``ibviz`` and ``ibviz gui [FILE]``.

``main`` checks for a display before Qt gets a chance to abort, builds the
:class:`QApplication` (name, icon, settings location), opens the main window on the
demo scenario or on ``file``, and runs the event loop. With ``screenshot`` it renders
the window offscreen to a PNG instead and exits (the packaging test uses it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

NO_DISPLAY = ("ibviz: no display found (DISPLAY/WAYLAND_DISPLAY unset): run it on a desktop, "
              "under a virtual one with 'xvfb-run -a ibviz', or headless with "
              "QT_QPA_PLATFORM=offscreen")
DEFAULT_SIZE = (1600, 1000)


def display_available() -> bool:
    """Whether Qt can open a window: a display, or a platform plugin chosen explicitly."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if not sys.platform.startswith("linux") and not sys.platform.startswith("freebsd"):
        return True  # Windows and macOS always have their native platform
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def parse_size(text: str | None) -> tuple[int, int]:
    """``"1600x1000"`` -> ``(1600, 1000)``; raises ValueError naming the bad value."""
    if not text:
        return DEFAULT_SIZE
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1600x1000") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise ValueError(f"--size {text!r}: width and height must be 200-10000 pixels")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ibviz gui", description="Open the ibviz window.")
    parser.add_argument("file", nargs="?", help="fabric, scenario or saved session to open")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="render the window to a PNG file and exit")
    parser.add_argument("--after-failover", action="store_true",
                        help="with --screenshot: fail the primary node first and show the "
                             "fabric once the failover completed")
    parser.add_argument("--size", metavar="WxH", help="window size for --screenshot")
    parser.add_argument("--theme", choices=("light", "dark"), help="colour theme")
    parser.add_argument("--lesson", metavar="NAME",
                        help="open a guided lesson (a built-in name, see 'ibviz lesson "
                             "list', or a lesson file) in the lesson panel")
    parser.add_argument("--presentation", action="store_true",
                        help="start in the presentation preset (View > Presentation)")
    return parser


def main(file: str | None = None, argv: Sequence[str] | None = None, *,
         screenshot: str | None = None, after_failover: bool = False,
         size: str | None = None, theme: str | None = None, lesson: str | None = None,
         presentation: bool = False) -> int:
    """Run the application; returns the process exit status.

    Parameters
    ----------
    file:
        Fabric file (any format ``ibviz.topology.load`` reads), scenario YAML, saved
        session (``.ibviz.json``), built-in scenario name or generator spec. None: the demo.
    argv:
        ``ibviz gui`` arguments (``[FILE] [--screenshot PATH] [--after-failover]
        [--size WxH] [--theme light|dark] [--lesson NAME] [--presentation]``); keyword
        arguments given here win.
    lesson:
        A built-in lesson name or lesson file, shown in the lesson panel on its session.
    """
    if argv is not None:
        args = build_parser().parse_args(list(argv))
        file = file or args.file
        screenshot = screenshot or args.screenshot
        after_failover = after_failover or args.after_failover
        size, theme = size or args.size, theme or args.theme
        lesson, presentation = lesson or args.lesson, presentation or args.presentation
    try:
        width, height = parse_size(size)
        if lesson:
            from ibviz.topology.lessons import load_lesson

            load_lesson(lesson)  # a bad name or file: the error names it, before Qt starts
    except ValueError as exc:
        print(f"ibviz: {exc}", file=sys.stderr)
        return 2
    if not display_available():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    app = make_application()
    from ibviz.gui.window.main import MainWindow

    window = MainWindow()
    if theme:
        window.set_theme(theme)
    if presentation:
        window.set_presentation(True)
    if screenshot:
        return _screenshot(window, file, screenshot, after_failover, (width, height), lesson)
    window.show()
    if lesson:
        window.open_lesson(lesson)
    else:
        open_first(window, file)
    return app.exec()


def _read_only(file: str) -> bool:
    from ibviz.app.opening import read_only_source

    return read_only_source(file)


def _connect_and_wait(window, file: str) -> bool:
    """Connect to the dumps in ``file`` read-only and wait for the worker (--screenshot);
    False when the files cannot be read."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from ibviz.app.connect import REAL, ConnectChoice

    if not window.connect_to(ConnectChoice(REAL, directory=file)):
        return False
    while window._connect_task is not None:  # cleared when connected or failed
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    QApplication.sendPostedEvents()  # the docks the dumps show (Changes) laid out
    QApplication.processEvents()
    return window.backend is not None and window.read_only_shown()


def open_first(window, file: str | None) -> None:
    """What the window opens first: a dump directory or an OpenSM/ibdiagnet state file
    read-only (as File > Connect > Real fabric), anything else with File > Open (the demo
    when nothing is given, or when ``file`` does not open)."""
    from ibviz.app.connect import REAL, ConnectChoice

    if file and _read_only(file):  # never the demo behind the dumps
        window.connect_to(ConnectChoice(REAL, directory=file))
    elif not window.open_spec(file or "demo", background=file is not None):
        window.open_spec("demo", background=False)


def make_application():
    """The QApplication (created once) with ibviz's names and icon."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "ibviz"])
    app.setOrganizationName("ibviz")
    app.setApplicationName("ibviz")
    app.setApplicationDisplayName("ibviz")
    app.setDesktopFileName("io.github.ibviz")
    from ibviz.gui import gui_thread_gc

    gui_thread_gc.install(app)  # no Qt object is ever collected in a worker thread
    icon = app_icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(icon))
    return app


def app_icon_path() -> str | None:
    from ibviz.resources import resource_path

    try:
        return str(resource_path("icons", "ibviz.svg"))
    except FileNotFoundError:
        return None


def _screenshot(window, file: str | None, path: str, after_failover: bool,
                size: tuple[int, int], lesson: str | None = None) -> int:
    errors: list[BaseException] = []
    previous = sys.excepthook

    def record(kind, value, tb) -> None:  # an exception inside a Qt slot
        errors.append(value)
        previous(kind, value, tb)

    sys.excepthook = record
    try:
        status = _render(window, file, path, after_failover, size, lesson)
    finally:
        sys.excepthook = previous
    if errors and status == 0:
        print(f"ibviz: --screenshot: {len(errors)} error(s) while drawing (see above)",
              file=sys.stderr)
        return 1
    return status


def _render(window, file: str | None, path: str, after_failover: bool,
            size: tuple[int, int], lesson: str | None = None) -> int:
    window.batch = True
    window.resize(*size)
    window.show()
    if lesson:
        if not window.open_lesson(lesson):
            return 1
    elif file and _read_only(file):
        if not _connect_and_wait(window, file):  # the error is printed (batch)
            return 1
    elif not window.open_spec(file or "demo", background=False):
        return 1
    if after_failover and not window.play_through_failover():
        print("ibviz: --after-failover: this session has no protected group to fail over",
              file=sys.stderr)
        return 1
    if not window.save_screenshot(path):
        print(f"ibviz: cannot write {path}", file=sys.stderr)
        return 1
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(None, sys.argv[1:]))
