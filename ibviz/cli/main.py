"""``ibviz`` entry point: argument parsing and dispatch to the subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ibviz import __version__


def build_parser() -> argparse.ArgumentParser:
    from ibviz.cli import attach, run, topo

    parser = argparse.ArgumentParser(
        prog="ibviz",
        description="See and teach how an InfiniBand subnet keeps multicast traffic flowing "
                    "when a node fails.")
    parser.add_argument("--version", action="version", version=f"ibviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the graphical application (default)")
    gui.add_argument("file", nargs="?", help="fabric or scenario to open (default: the demo)")
    topo.add_parser(sub)
    run.add_parser(sub)
    attach.add_parser(sub)
    return parser


def run_gui(file: str | None) -> int:
    try:
        from ibviz.gui.app import main as gui_main  # noqa: PLC0415 (optional, heavy)
    except ImportError:
        print("ibviz: the graphical application is not part of this version yet; "
              "meanwhile try 'ibviz topo info demo' or 'ibviz topo --help'.", file=sys.stderr)
        return 2
    return gui_main(file)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "gui"):
        return run_gui(getattr(args, "file", None))
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
