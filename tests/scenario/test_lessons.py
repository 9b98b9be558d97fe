"""Guided lessons played headless: every built-in lesson verifies, a check fails when
its action is skipped, and verify catches checks that do not depend on their action."""

from __future__ import annotations

import re

import pytest

from ibviz.core.lessons.model import LessonError
from ibviz.core.lessons.runner import play, verify
from ibviz.topology.lesson_yaml import parse_lesson
from ibviz.topology.lessons import lesson_names, load_lesson, session_factory

REQUIRED = {"lids-lmc-unicast", "multicast-mft", "mode1-mlid-reassignment",
            "mode2-port-remap", "auto-mode", "failback", "ud-mlid-slid",
            "rc-unicast-group-lid", "prior-art", "two-subnets"}


def lesson(body: str, name: str = "t.yaml"):
    return parse_lesson("title: t\ncites: [para. 59]\n" + body, name)


def test_the_built_in_lessons_cover_the_issue():
    assert set(lesson_names()) >= REQUIRED


@pytest.mark.parametrize("name", lesson_names())
def test_every_built_in_lesson_verifies(name):
    les = load_lesson(name)
    assert les.name == name and les.cites
    text = " ".join([les.title, *les.cites] + [s.narration for s in les.steps])
    assert re.search(r"para(graph)?s?\.? \d+|FIG\. \d+|method \d+", text)
    assert any(s.action is not None for s in les.steps)
    assert all(s.hints and s.checks for s in les.steps)
    verdict = verify(les, session_factory(les))
    problems = [(s.index, d, r.observed) for s in verdict.steps for d, r in s.results
                if not r.ok]
    problems += [(s.index, "holds without the action: " + d, r.observed)
                 for s in verdict.steps for d, r in s.skipped if r.ok]
    assert verdict.ok and not problems, problems
    for step, spec in zip(verdict.steps, les.steps, strict=True):
        assert len(step.skipped) == (len(spec.checks) if spec.action else 0)


def test_a_check_fails_when_its_action_is_skipped():
    les = load_lesson("mode2-port-remap")
    new = session_factory(les)
    taken = play(les, new, upto=1)[1]
    skipped = play(les, new, skip=1, upto=1)[1]
    port = {d: r for d, r in taken}["switch-1's DefaultMulticastPrimaryPort is 2 "
                                     "(not-primary 1)"]
    assert port.ok and "DefaultMulticastPrimaryPort 2" in port.observed
    assert not any(r.ok for _d, r in skipped)
    assert dict(skipped)["switch-1's DefaultMulticastPrimaryPort is 2 (not-primary 1)"] \
        .observed.startswith("DefaultMulticastPrimaryPort 1")


STEP = """\
scenario: fig10
steps:
  - title: fail
    narration: n
    action: {ACTION}
    hints: [h]
    check: [CHECK]
"""


def one_step(action: str, check: str):
    return lesson(STEP.replace("ACTION", action).replace("CHECK", check))


def test_verify_refuses_a_check_that_holds_without_its_action():
    les = one_step("fail: first-node", "{mode: {group: svc, mode: port}}")
    v = verify(les, session_factory(les))
    step = v.steps[0]
    assert step.results[0][1].ok and step.skipped[0][1].ok and not step.ok and not v.ok


def test_verify_reports_a_wrong_expectation():
    les = one_step("fail: first-node", "{primary_port: {switch: switch-1, port: 3}}")
    v = verify(les, session_factory(les))
    assert not v.ok and v.steps[0].results[0][1].observed.startswith(
        "DefaultMulticastPrimaryPort 2")


def test_remap_and_link_actions_reach_the_session():
    les = one_step("remap: {node: switch-1, primary: 2, not_primary: 1}",
                   "{primary_port: {switch: switch-1, port: 2, not_primary: 1}}")
    assert verify(les, session_factory(les)).ok
    les = one_step("link_down: {node: second-node, port: 1}",
                   "{route: {switch: switch-1, to: second-node, port: 255}}")
    assert verify(les, session_factory(les)).ok


def test_a_lesson_on_a_bare_fabric():
    les = lesson("fabric: fig2\nsteps:\n  - title: t\n    narration: n\n    hints: [h]\n"
                 "    action: {link_down: {node: tca226, port: 1}}\n"
                 "    check: {route: {switch: sw214, to: tca226, port: 255}}\n")
    assert verify(les, session_factory(les)).ok


def test_unknown_names_are_errors_naming_the_lesson_line_and_key():
    les = one_step("fail: first-node", "{serving: {group: svc, node: third-node}}")
    with pytest.raises(LessonError) as info:
        verify(les, session_factory(les))
    assert info.value.line == 9 and info.value.key == "steps[0].check[0].serving"
    assert "third-node" in str(info.value) and str(info.value).startswith("t.yaml:9")
    les = one_step("fail: nobody", "{serving: {group: svc, node: second-node}}")
    with pytest.raises(LessonError, match=r"t.yaml:7: steps\[0\].action: .*nobody"):
        verify(les, session_factory(les))
    with pytest.raises(LessonError, match="no lesson 'nope'.*mode2-port-remap"):
        load_lesson("nope")
    les = lesson("scenario: nope\nsteps:\n  - {title: t, narration: n, check: "
                 "{serving: {group: g, node: n}}}\n")
    with pytest.raises(LessonError, match=r"t.yaml:3: scenario: .*no scenario 'nope'"):
        session_factory(les)


def test_the_example_in_the_docs_verifies(tmp_path):
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "lessons.md").read_text(encoding="utf-8")
    example = re.search(r"## An example.*?```yaml\n(.*?)```", doc, re.S).group(1)
    les = parse_lesson(example, str(tmp_path / "remap.yaml"))
    assert les.name == "remap" and verify(les, session_factory(les)).ok
    bad = example.replace("port: 2, not_primary: 1}", "port: [2], not_primary: 1}")
    with pytest.raises(LessonError) as info:
        parse_lesson(bad, "remap.yaml")
    assert f"\n{info.value}\n" in doc  # the error quoted in the docs is the real one


def test_progress_moves_on_only_when_the_step_holds():
    from ibviz.core.lessons.progress import LessonProgress
    from ibviz.core.lessons.runner import perform

    les = load_lesson("mode2-port-remap")
    session = session_factory(les)()
    session.run_until(les.start_us)
    progress = LessonProgress(les, session)
    # the first step counts from the session's start: what was delivered before the
    # lesson opened (and is on the screen) counts
    assert progress.since_us == 0.0 and progress.holds()
    assert progress.advance() and progress.index == 1
    session.run_until(session.now_us + 2000)  # the learner waits: nothing fails over
    assert [r.ok for _d, r in progress.status()] == [False] * 4 and not progress.advance()
    assert progress.next_hint() == "Right-click first-node and choose Fail."
    assert progress.next_hint() and progress.next_hint() is None
    perform(session, progress.step.action)
    session.run_until(session.now_us + 1000)
    assert progress.complete() and progress.completed  # done, and stays done until Next
    assert progress.advance() and progress.step.title == "The first node fails back"
    assert not progress.completed
    perform(session, progress.step.action)
    session.run_until(session.now_us + 1000)
    assert progress.finished and not progress.advance()
