"""Write the ibviz(1) manual page from the command line parser itself.

    python3 packaging/make_manpage.py OUT.1 [--date YYYY-MM-DD]

Every subcommand (recursively: ``ibviz topo info`` ...) gets its synopsis, description and
options from :func:`ibviz.cli.main.build_parser`, so the page cannot drift from
``ibviz --help``. The output is plain man(7) roff that ``man --warnings`` accepts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ENVIRONMENT = {
    "IBVIZ_RESOURCES": "Directory holding the icons, sample fabrics, scenarios and schemas, "
                       "instead of the ones shipped with ibviz.",
    "IBVIZ_DEBUG": "When set, an internal error shows the Python traceback instead of one line.",
    "QT_QPA_PLATFORM": "Qt platform plugin: xcb (X11, the default on a desktop) or offscreen "
                       "(no display, e.g. for screenshots).",
}
FILES = {
    "/opt/ibviz/": "The application bundle (Python, Qt and the ibviz package).",
    "/opt/ibviz/_internal/resources/": "Icons, sample fabrics (fabrics/), scenarios and "
                                       "the JSON schema of the fabric format.",
}
SEE_ALSO = "opensm(8), ibsim(1), ibnetdiscover(8), iblinkinfo(8)"


def roff(text: str) -> str:
    """Escape plain text for roff (backslashes, hyphens, control characters at a line
    start) and let long comma-separated lists break."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r",(?=\S)", r",\\:", text)  # a break point inside {a,b,c} choice lists
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.MULTILINE)


def walk(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and all its subcommand parsers, depth first, in definition order."""
    yield parser
    for action in parser._actions:  # argparse keeps no public list of subparsers
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases map to one parser
                yield from walk(sub)


def synopsis(parser: argparse.ArgumentParser) -> str:
    usage = " ".join(parser.format_usage().split())
    return usage.removeprefix("usage: ").removeprefix(parser.prog).strip()


def options(parser: argparse.ArgumentParser, with_help: bool = True) -> Iterator[str]:
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._HelpAction) and not with_help:
            continue  # said once, under OPTIONS
        if action.option_strings:
            metavar = formatter._format_args(action, action.dest.upper()) if action.nargs != 0 \
                else ""
            head = ", ".join(f"\\fB{roff(opt)}\\fR" for opt in action.option_strings)
            head += f" \\fI{roff(metavar)}\\fR" if metavar else ""
        else:
            head = f"\\fI{roff(formatter._metavar_formatter(action, action.dest)(1)[0])}\\fR"
        help_text = formatter._expand_help(action) if action.help else ""
        yield f".TP\n{head}\n{roff(help_text)}"


def subcommands(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f".TP\n\\fB{roff(choice.dest)}\\fR\n{roff(choice.help or '')}"


def manpage(parser: argparse.ArgumentParser, date: str, version: str) -> str:
    name = parser.prog
    lines = [f'.TH {name.upper()} 1 "{date}" "{name} {version}" "User Commands"',
             ".ad l", ".nh",  # long choice lists: no justification, no hyphenated values
             ".SH NAME", f"{name} \\- {roff(parser.description or '').rstrip('.')}",
             ".SH SYNOPSIS", f"\\fB{name}\\fR {roff(synopsis(parser))}",
             ".SH DESCRIPTION", roff(parser.description or ""),
             "Without a command, or with \\fBgui\\fR, the graphical application opens.",
             ".SH OPTIONS", *options(parser), ".SH COMMANDS", *subcommands(parser),
             ".PP", "Every command takes \\fB\\-h\\fR (\\fB\\-\\-help\\fR) too."]
    for sub in list(walk(parser))[1:]:
        lines += [f".SS {roff(sub.prog)}", f"\\fB{roff(sub.prog)}\\fR {roff(synopsis(sub))}"]
        if sub.description:
            lines += [".PP", roff(sub.description)]
        lines += [*options(sub, with_help=False), *subcommands(sub)]
    lines.append(".SH ENVIRONMENT")
    for variable, text in ENVIRONMENT.items():
        lines += [".TP", f"\\fB{variable}\\fR", roff(text)]
    lines.append(".SH FILES")
    for path, text in FILES.items():
        lines += [".TP", f"\\fI{roff(path)}\\fR", roff(text)]
    lines += [".SH SEE ALSO", roff(SEE_ALSO)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("output", type=Path)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    today = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    cli.add_argument("--date", default=today.strftime("%Y-%m-%d"))
    args = cli.parse_args(argv)
    os.environ["COLUMNS"] = "1000"  # one-line usage: man does its own filling
    from ibviz import __version__
    from ibviz.cli.main import build_parser

    args.output.write_text(manpage(build_parser(), args.date, __version__), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
