"""``ibviz`` entry point: argument parsing and dispatch to the subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ibviz import __version__

COMMANDS = ("topo", "run", "attach", "check", "diff", "lab", "lesson", "sm", "whatif")
"""Subcommand modules of :mod:`ibviz.cli`, in the order ``--help`` lists them."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of ``only`` that one (the others' modules,
    some heavy, are then not imported)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="ibviz",
        description="See and teach how an InfiniBand subnet keeps multicast traffic flowing "
                    "when a node fails.")
    parser.add_argument("--version", action="version", version=f"ibviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the graphical application (default)",
                         description="Open the ibviz window. Options: --screenshot PATH "
                         "(render to PNG and exit), --after-failover, --size WxH, "
                         "--theme light|dark, --lesson NAME (a guided lesson in its panel; "
                         "'ibviz lesson list' names them), --presentation.")
    gui.add_argument("file", nargs="?", help="fabric, scenario or saved session to open "
                     "(default: the demo; 'ibviz run --list' names the built-in scenarios)")
    for name in COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"ibviz.cli.{name}").add_parser(sub)
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
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
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
