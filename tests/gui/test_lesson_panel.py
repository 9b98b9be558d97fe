"""A guided lesson in the window: the Lessons menu opens it in the lesson panel with the
first step's checks read at once; the learner's action taken through the window's
controller completes the step once its checks hold on the live model (shown ticked, with
a "Done" line) and Next step moves on; with the action skipped it stays on the step; on
the last step "Lesson complete" clears the hints."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="PySide6 is a runtime dependency: pip install -e .")
pytest.importorskip("pytestqt", reason="pytest-qt is a test dependency: pip install -e .[test]")

from conftest import open_window  # noqa: E402
from ibviz.core.lessons.model import ActionSpec  # noqa: E402
from ibviz.core.scenario.model import Action as Entry  # noqa: E402
from ibviz.core.scenario.timeline import resolve_entry  # noqa: E402
from ibviz.topology.lessons import lesson_names  # noqa: E402

pytestmark = pytest.mark.gui
LESSON = "mode2-port-remap"


def typed(session, spec: ActionSpec):
    """The lesson's action as the window's controller takes it (a typed core action)."""
    return resolve_entry(session, Entry(session.now_us, spec.kind, spec.node, spec.group,
                                        spec.port, spec.join, spec.primary,
                                        spec.not_primary), spec.key)


def run_for(window, span_us: float, until=lambda: False) -> None:
    """Move the window's clock on by ``span_us`` in 100 us seeks (each one a frame), or
    until ``until()`` holds."""
    end = window.session.now_us + span_us
    while window.controller.view_time_us < end and not until():
        window.controller.seek(window.controller.view_time_us + 100.0)


def at_step_two(qtbot, settings):
    """The lesson opened from the Lessons menu, its first (watching) step done."""
    window = open_window(qtbot, settings, size=(1280, 720))
    assert list(window.lesson_actions) == lesson_names()
    window.lesson_actions[LESSON].trigger()
    panel = window.lesson_panel
    assert window.docks["lesson"].isVisible() and panel.index == 0
    assert panel.progress.session is window.session
    assert "para. 49-50" in panel.cites.text() and "<b>Paragraph 50</b>" in \
        panel.narration.text()
    # the checks are read at open: the packets delivered before the lesson's start count
    assert panel.next_button.isEnabled() and panel.progress.completed
    assert "&#9675;" not in panel.checks.text() and "\u25cb" not in panel.checks.text()
    assert "Done" in panel.action.text()
    panel.next_button.click()
    assert panel.index == 1 and "Fail" in panel.action.text()
    return window, panel


def test_the_learners_action_moves_the_lesson_on(qtbot, settings):
    window, panel = at_step_two(qtbot, settings)
    step = panel.progress.step
    panel.hint_button.click()
    assert step.hints[0] in panel.hint.text()
    assert window.controller.apply(typed(window.session, step.action))
    run_for(window, step.wait_us, until=lambda: panel.progress.completed)
    # the acted step stays, shown done: every check ticked, a "Done" line, the clock paused
    assert panel.index == 1 and panel.progress.completed
    ticks = panel.checks.text().split("<br>")
    assert len(ticks) == len(step.checks) and all(t.startswith("&#10003;") for t in ticks)
    assert "Done" in panel.action.text() and "fail first-node" in panel.action.text()
    assert not panel.hint.isVisible() and not window.controller.playing
    assert panel.next_button.isEnabled()
    panel.next_button.click()
    assert panel.index == 2 and "Fail back" in panel.action.text()
    mgid = next(iter(window.session.controller.groups.values())).mgid
    assert "serves the group" in [st for _m, _j, _r, st in window.groups.member_rows(mgid)]


def test_skipping_the_action_keeps_the_step(qtbot, settings):
    window, panel = at_step_two(qtbot, settings)
    run_for(window, 2 * panel.progress.step.wait_us)  # the step's time and more, no action
    assert panel.index == 1
    assert not panel.next_button.isEnabled()
    assert "&#9675;" in panel.checks.text() or "\u25cb" in panel.checks.text()


def test_gui_lesson_screenshot_at_1280x720(tmp_path):
    """``ibviz gui --lesson NAME --size WxH --screenshot PATH``: the window on the
    lesson's first step, the whole window within the size asked."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    from conftest import REPO

    out = tmp_path / "lesson.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([sys.executable, "-m", "ibviz", "gui", "--lesson", LESSON,
                           "--presentation", "--size", "1280x720", "--screenshot", str(out)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)


def test_gui_lesson_with_an_unknown_name_names_the_built_in_ones(capsys):
    from ibviz.gui import app

    assert app.main(None, ["--lesson", "no-such-lesson", "--screenshot", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "no-such-lesson" in err and LESSON in err


def test_lesson_complete_clears_the_hint(qtbot, settings):
    """mode1-mlid-reassignment played to its end, a hint asked on each step: once the
    lesson is complete no "Hint:" stays shown."""
    window = open_window(qtbot, settings, size=(1280, 720))
    window.lesson_actions["mode1-mlid-reassignment"].trigger()
    panel = window.lesson_panel
    steps = panel.progress.lesson.steps
    for i, step in enumerate(steps):
        assert panel.index == i
        if step.hints and not panel.progress.completed:
            panel.hint_button.click()
            assert "Hint: " in panel.hint.text()
        if step.action is not None:
            assert window.controller.apply(typed(window.session, step.action))
        run_for(window, 2 * step.wait_us, until=lambda: panel.progress.completed)
        assert panel.progress.completed, panel.checks.toolTip()
        if i + 1 < len(steps):
            panel.next_button.click()
    assert panel.step_title.text().startswith("Lesson complete")
    assert panel.hint.text() == "" and not panel.hint.isVisible()
    assert not panel.hint_button.isEnabled() and not panel.next_button.isEnabled()
    assert "lesson is complete" in panel.action.text()


def test_the_lesson_heading_is_never_cut_at_the_top(qtbot, settings):
    """At 1280x720 the lesson opened scrolled by ~10 px (as far as it could go towards the
    step's title), cutting its heading in half: it scrolls to the step's title only when
    it can hide the heading whole, else it shows the top."""
    window = open_window(qtbot, settings, size=(1280, 720))
    window.lesson_actions[LESSON].trigger()
    panel = window.lesson_panel
    scroll = panel.narration_scroll
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: window._laid_out and scroll.isVisible(), timeout=5000)
    for step in range(2):
        if step:
            panel.next_button.click()
        # the trial's geometry: the text 10 px taller than the room for it
        scroll.setFixedHeight(scroll.height() + bar.maximum() - 10)
        qtbot.waitUntil(lambda: bar.maximum() == 10, timeout=5000)
        panel._scroll_to_step()  # what the step's timer does once laid out
        cites = panel.cites.geometry()
        assert bar.value() == 0 or bar.value() >= cites.bottom(), (step, bar.value(), cites)
