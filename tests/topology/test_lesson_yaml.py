"""Lesson files: what the loader accepts, and bad files refused naming file, line, key."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibviz.core.lessons.checks import Group, PrimaryPort
from ibviz.core.lessons.checks_run import CHECKS, Receives
from ibviz.core.lessons.model import ActionSpec, LessonError
from ibviz.resources import resource_path
from ibviz.topology.lesson_yaml import load_lesson_file, parse_lesson
from ibviz.topology.lessons import lesson_names

GOOD = """\
name: demo-lesson
title: "A lesson"
cites: ["para. 59"]
scenario: fig10
steps:
  - title: "Look"
    narration: |
      Read SwitchInfo.
    check: {primary_port: {switch: switch-1, port: 1}}
  - title: "Fail"
    narration: "Fail it."
    action: {fail: first-node}
    wait_us: 1500
    check:
      - {receives: {node: second-node, dlid: 0xc001}}
      - {group: {group: svc, mlid: "0xc001", has: [second-node]}}
    hints: ["Right-click first-node."]
"""


def test_a_good_lesson_parses_into_typed_steps():
    lesson = parse_lesson(GOOD, "good.yaml")
    assert lesson.name == "demo-lesson" and lesson.cites == ["para. 59"]
    assert lesson.scenario == "fig10" and lesson.fabric is None and not lesson.keep_script
    look, fail = lesson.steps
    assert look.action is None and look.narration == "Read SwitchInfo."
    assert look.checks == [PrimaryPort(switch="switch-1", port=1)]
    assert fail.action == ActionSpec("fail", "first-node")
    assert fail.action.key == "steps[1].action" and fail.wait_us == 1500.0
    assert fail.checks == [Receives(node="second-node", dlid=0xC001),
                           Group(group="svc", mlid=0xC001, has=("second-node",))]
    assert fail.hints == ["Right-click first-node."]
    assert lesson.lines["steps[1].action"] == 12


def test_every_check_kind_has_fields_and_words():
    for kind, cls in CHECKS.items():
        assert cls.FIELDS and set(cls.REQUIRED) <= set(cls.FIELDS), kind
        assert cls.__doc__ and f"{kind}:" in cls.__doc__, kind  # documented by example


def _bad(body: str) -> str:
    return textwrap.dedent(body)


BAD = [
    ("", None, "", "the file is empty"),
    ("title: [unclosed\n", 2, "", "not valid YAML"),
    ("title: x\ncites: [a]\nscenario: fig10\n", 1, "", "missing key 'steps'"),
    ("title: x\ncites: [a]\nsteps: []\nscenario: fig10\nfabric: fig8\n", 1, "",
     "exactly one of scenario"),
    ("title: x\ncites: []\nscenario: fig10\nsteps: [1]\n", 2, "cites", "paragraphs"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps: []\nlevel: 3\n", 5, "level",
     "unknown key"),
    ("title: x\ncites: [a]\nscenario: fig10\nmode: fast\nsteps: [1]\n", 4, "mode",
     "use one of"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - {title: t, narration: n}\n", 5,
     "steps[0]", "missing key 'check'"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    check: {explode: {node: a}}\n", 7, "steps[0].check", "one check"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    check: {receives: {node: a, colour: red}}\n", 7, "steps[0].check.receives.colour",
     "unknown key"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    check: {mft: {switch: s, mlid: lots, ports: [1]}}\n", 7,
     "steps[0].check.mft.mlid", "expected a number"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    check: {lid: {node: a}}\n", 7, "steps[0].check.lid", "at least one of lid, lmc"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    check: [{primary_port: {switch: s, port: 1}}, {mode: {group: g}}]\n", 7,
     "steps[0].check[1].mode", "missing key 'mode'"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    action: {explode: first-node}\n    check: {serving: {group: g, node: n}}\n", 7,
     "steps[0].action", "one action"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    action: {join: first-node}\n    check: {serving: {group: g, node: n}}\n", 7,
     "steps[0].action.join", "needs a group"),
    ("title: x\ncites: [a]\nscenario: fig10\nsteps:\n  - title: t\n    narration: n\n"
     "    wait_us: -5\n    check: {serving: {group: g, node: n}}\n", 7, "steps[0].wait_us",
     "more than 0"),
    ("title: !!python/object:os.system x\ncites: [a]\n", 1, "title", "tag"),
    ("title: 2024-01-01\ncites: [a]\n", 1, "title", "not allowed in a lesson"),
    ("title: x\ncites: &c [a]\nscenario: fig10\nsteps: *c\n", 4, "", "aliases"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n", 2,
     "", "aliases"),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), BAD,
                         ids=[w for *_x, w in BAD])
def test_bad_lessons_are_refused_naming_file_line_and_key(text, line, key, words):
    with pytest.raises(LessonError) as info:
        parse_lesson(text, "bad.yaml")
    err = info.value
    assert words in err.detail
    assert err.source == "bad.yaml" and err.line == line and err.key == key
    where = f"bad.yaml:{line}" if line else "bad.yaml"
    assert str(err).startswith(where)


def test_an_unreadable_file_is_named(tmp_path):
    path = tmp_path / "missing.yaml"
    with pytest.raises(LessonError, match="missing.yaml: cannot read"):
        load_lesson_file(path)
    path.write_bytes(b"\xff\xfe title")
    with pytest.raises(LessonError, match="cannot read"):
        load_lesson_file(path)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mangled_built_in_lessons_load_or_fail_cleanly(data):
    """A lesson file cut, doubled or sprinkled with YAML punctuation either loads or
    raises a LessonError naming the file; nothing else escapes."""
    name = data.draw(st.sampled_from(lesson_names()))
    lines = (resource_path("lessons") / f"{name}.yaml").read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "junk", "cut"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][:data.draw(st.integers(0, len(lines[i])))]
        else:
            j = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + data.draw(st.sampled_from(
                list("&*!:{}[]-#|>'\"\t") + ["0x", " - ", ": x", "!!str "])) + lines[i][j:]
        if not lines:
            lines = [""]
    try:
        parse_lesson("\n".join(lines), f"{name}.yaml")
    except LessonError as exc:
        assert str(exc).startswith(f"{name}.yaml")
