"""``ibviz`` entry point: argument parsing and dispatch to the subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ibviz import __version__


def build_parser() -> argparse.ArgumentParser:
    from ibviz.cli import attach, check, diff, lab, lesson, run, sm, topo, whatif

    parser = argparse.ArgumentParser(
        prog="ibviz",
        description="See and teach how an InfiniBand subnet keeps multicast traffic flowing "
                    "when a node fails.")
    parser.add_argument("--version", action="version", version=f"ibviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the graphical application (default)",
                         description="Open the ibviz window. Options: --screenshot PATH "
                         "(render to PNG and exit), --after-failover, --size WxH, "
                         "--theme light|dark, --lesson NAME (a guided lesson in its panel), "
                         "--presentation.")
    gui.add_argument("file", nargs="?", help="fabric, scenario or saved session to open "
                     "(default: the demo)")
    topo.add_parser(sub)
    run.add_parser(sub)
    attach.add_parser(sub)
    check.add_parser(sub)
    diff.add_parser(sub)
    lab.add_parser(sub)
    lesson.add_parser(sub)
    sm.add_parser(sub)
    whatif.add_parser(sub)
    return parser


def run_gui(argv: Sequence[str] = ()) -> int:
    try:
        from ibviz.gui.app import main as gui_main  # noqa: PLC0415 (optional, heavy)
    except ImportError as exc:
        print(f"ibviz: the graphical application cannot start: {exc} (install the "
              "'PySide6-Essentials' and 'pyqtgraph' packages)", file=sys.stderr)
        return 2
    return gui_main(argv=list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # answered before the subcommands' modules are imported
        print(f"ibviz {__version__}")
        return 0
    if not argv or argv[0] == "gui" and not {"-h", "--help"} & set(argv[1:2]):
        return run_gui(argv[1:])  # the window parses its own options
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("ibviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line; IBVIZ_DEBUG=1 shows the traceback
        if os.environ.get("IBVIZ_DEBUG"):
            raise
        print(f"ibviz: internal error: {type(exc).__name__}: {exc} (run with IBVIZ_DEBUG=1 for "
              "the traceback, and please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    raise SystemExit(main())
