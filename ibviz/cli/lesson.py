"""``ibviz lesson``: list the built-in lessons and verify lessons headless.

``verify`` plays every step, performing its action and asserting its checks, then
replays each step with its action skipped and asserts that its checks fail then.
Exit codes: 0 every check holds (and fails without its action), 1 one does not,
2 invalid input (unknown lesson, bad file).
"""

from __future__ import annotations

import argparse
import sys

from ibviz.core.lessons.model import LessonError
from ibviz.core.lessons.runner import LessonVerdict, verify


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lesson", help="guided lessons on the patent: list and verify",
                       description="Guided lessons (docs/lessons.md). Exit code of verify: "
                       "0 every check holds, 1 a check does not, 2 invalid input.")
    cmds = p.add_subparsers(dest="lesson_command", metavar="SUBCOMMAND", required=True)
    ls = cmds.add_parser("list", help="the built-in lessons, one a line, name first")
    ls.set_defaults(func=list_command)
    v = cmds.add_parser("verify", help="run a lesson's steps headless and check them")
    v.add_argument("lesson", nargs="?", help="built-in lesson name or lesson file")
    v.add_argument("--all", action="store_true", help="verify every built-in lesson")
    v.set_defaults(func=verify_command)


def list_command(args: argparse.Namespace) -> int:
    from ibviz.topology.lessons import lesson_names, load_lesson

    for name in lesson_names():
        lesson = load_lesson(name)
        print(f"{name:26} {lesson.title}")
    return 0


def _cut(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def format_verdict(v: LessonVerdict) -> str:
    lines = [f"{v.lesson.name}: {v.lesson.title}"]
    for step in v.steps:
        mark = "ok  " if step.ok else "FAIL"
        act = f"  [action: {step.action}]" if step.action else ""
        lines.append(f"  {mark} step {step.index}: {step.title}{act}")
        for j, (text, r) in enumerate(step.results):
            lines.append(f"         {'holds' if r.ok else 'DOES NOT HOLD'}: {text} "
                         f"(observed: {_cut(r.observed)})")
            if step.skipped:
                s = step.skipped[j][1]
                lines.append(f"           without the action: "
                             f"{'fails, as it must' if not s.ok else 'STILL HOLDS'} "
                             f"(observed: {_cut(s.observed)})")
    checks = sum(len(s.results) for s in v.steps)
    counter = sum(len(s.skipped) for s in v.steps)
    lines.append(f"  {'OK' if v.ok else 'FAILED'}: {len(v.steps)} steps, {checks} checks, "
                 f"{counter} shown to fail without their action")
    return "\n".join(lines)


def verify_command(args: argparse.Namespace) -> int:
    from ibviz.topology.lessons import lesson_names, load_lesson, session_factory

    if args.all == bool(args.lesson):
        print("ibviz lesson verify: name one lesson, or --all", file=sys.stderr)
        return 2
    names = lesson_names() if args.all else [args.lesson]
    failed = []
    for name in names:
        try:
            lesson = load_lesson(name)
            verdict = verify(lesson, session_factory(lesson))
        except LessonError as exc:
            print(f"ibviz: error: {exc}", file=sys.stderr)
            return 2
        print(format_verdict(verdict))
        if not verdict.ok:
            failed.append(name)
    if len(names) > 1:
        print(f"{len(names) - len(failed)} of {len(names)} lessons verified"
              + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
