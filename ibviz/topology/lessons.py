"""Built-in lessons (``resources/lessons/*.yaml``) and the session a lesson runs on: its
scenario (a built-in name, or a file relative to the lesson) with the scripted timeline
dropped unless the lesson keeps it, or a bare fabric."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ibviz.core.lessons.model import Lesson, LessonError
from ibviz.core.scenario import ScenarioError, Session
from ibviz.resources import resource_path
from ibviz.topology import open_fabric
from ibviz.topology.lesson_yaml import load_lesson_file
from ibviz.topology.scenarios import fabric_for, load_scenario, session_for_fabric

ORDER = ("lids-lmc-unicast", "multicast-mft", "mode1-mlid-reassignment", "mode2-port-remap",
         "auto-mode", "failback", "ud-mlid-slid", "rc-unicast-group-lid", "prior-art",
         "two-subnets")
"""The teaching order: addressing first, then the two modes, then the transports."""


def _dir() -> Path:
    return resource_path("lessons")


def lesson_names() -> list[str]:
    found = {p.stem for p in _dir().glob("*.yaml")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def load_lesson(spec: str | Path) -> Lesson:
    """A built-in lesson by name, or a lesson file by path."""
    text = str(spec)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        return load_lesson_file(path)
    if text in lesson_names():
        return load_lesson_file(_dir() / f"{text}.yaml")
    raise LessonError(f"no lesson {text!r}: not a .yaml file, and the built-in ones are "
                      f"{', '.join(lesson_names())}", "", None, text)


def session_factory(lesson: Lesson) -> Callable[[], Session]:
    """A function building a fresh session for ``lesson`` (each call: a new one)."""
    base = Path(lesson.source).parent if lesson.source else Path()
    if lesson.fabric is not None:
        spec = lesson.fabric
        near = base / spec

        def bare() -> Session:
            try:
                fabric = open_fabric(near if near.is_file() else spec)
            except (ValueError, KeyError, OSError) as exc:
                raise lesson.error("fabric", f"cannot open fabric {spec!r}: {exc}") from None
            return session_for_fabric(fabric)
        return bare
    spec = str(lesson.scenario)
    near = base / spec
    try:
        scenario = load_scenario(near if near.is_file() else spec)
    except ScenarioError as exc:
        raise lesson.error("scenario", str(exc)) from None
    if not lesson.keep_script:
        scenario.timeline = []
    mode = lesson.mode

    def build() -> Session:
        try:
            return Session(scenario, fabric_for(scenario), mode=mode)
        except ScenarioError as exc:
            raise lesson.error("scenario", str(exc)) from None
    return build


__all__ = ["lesson_names", "load_lesson", "session_factory"]
