"""Lesson files: YAML composed with ``yaml.SafeLoader`` (no tags, no aliases, nothing
constructed but plain values) and checked key by key with the scenario reader's helpers; every error names
the file, the line and the key.

The format is documented in ``docs/lessons.md``; built-in lessons live in
``resources/lessons/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ibviz.core.lessons.checks_run import CHECKS
from ibviz.core.lessons.model import ACTION_KINDS, ActionSpec, Lesson, LessonError, Step
from ibviz.core.scenario.model import JOIN_STATES, ScenarioError
from ibviz.topology.scenario_yaml import _fields, _Reader

MAX_NODES = 20_000
"""YAML nodes a lesson may hold (a lesson is a page of text, not a data set)."""
NUM = (int, float)
MODES = ("auto", "mlid", "port", "lmc")


class _LessonReader(_Reader):
    def error(self, key: str, message: str) -> LessonError:
        message = message.replace("in a scenario", "in a lesson")
        return LessonError(message, key, self.lines.get(key), self.source)


def _compose(text: str, source: str) -> yaml.Node | None:
    """The YAML node tree, after refusing aliases where they stand (an alias is how a
    billion-laughs file grows) and files of more than :data:`MAX_NODES` nodes."""
    try:
        for n, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise LessonError("YAML aliases (*name) are not allowed in a lesson", "",
                                  _line(event.start_mark), source)
            if n > MAX_NODES:
                raise LessonError(f"more than {MAX_NODES} YAML nodes: not a lesson", "",
                                  _line(event.start_mark), source)
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LessonError(f"not valid YAML: {getattr(exc, 'problem', exc)}", "",
                          _line(mark), source) from None


def _line(mark: Any) -> int | None:
    return None if mark is None else mark.line + 1


def _number(r: _LessonReader, value: Any, key: str) -> int:
    """An integer, or a string such as ``"0xc001"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        raise r.error(key, f"expected a number such as 3 or 0xc001, got {value!r}") from None


def _action(r: _LessonReader, data: Any, key: str) -> ActionSpec:
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in ACTION_KINDS:
        raise r.error(key, f"expected one action: {{KIND: NODE}} with KIND one of "
                      f"{', '.join(ACTION_KINDS)}")
    kind, body = next(iter(data.items()))
    body = {"node": body} if isinstance(body, str) else body
    body = _fields(r, body, f"{key}.{kind}", {"node": (str,), "group": (str,), "port": (int,),
                                              "join": (str,), "primary": (int,),
                                              "not_primary": (int,)}, ("node",))
    if body.get("join", "full") not in JOIN_STATES:
        raise r.error(f"{key}.{kind}.join", f"use one of {', '.join(JOIN_STATES)}")
    if kind in ("join", "leave") and "group" not in body:
        raise r.error(f"{key}.{kind}", f"{kind} needs a group")
    if kind in ("link_down", "link_up") and "port" not in body:
        raise r.error(f"{key}.{kind}", f"{kind} needs the port of the cable")
    if kind == "remap" and not {"primary", "not_primary"} <= set(body):
        raise r.error(f"{key}.{kind}", "remap needs primary and not_primary port numbers")
    return ActionSpec(kind, key=key, **body)


def _check(r: _LessonReader, data: Any, key: str):
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in CHECKS:
        raise r.error(key, f"expected one check: {{KIND: {{...}}}} with KIND one of "
                      f"{', '.join(CHECKS)}")
    kind, body = next(iter(data.items()))
    cls = CHECKS[kind]
    allowed = {k: (int, str) if t == (int,) else t for k, t in cls.FIELDS.items()}
    body = dict(_fields(r, body, f"{key}.{kind}", allowed, cls.REQUIRED))
    if cls.ONE_OF and not set(cls.ONE_OF) & set(body):
        raise r.error(f"{key}.{kind}", f"give at least one of {', '.join(cls.ONE_OF)}")
    for name, value in body.items():
        k = f"{key}.{kind}.{name}"
        if cls.FIELDS[name] == (int,):
            body[name] = _number(r, value, k)
        elif cls.FIELDS[name] == (list,):
            items = [_number(r, v, f"{k}[{i}]") if name == "ports" else v
                     for i, v in enumerate(value)]
            if name != "ports" and not all(isinstance(v, str) for v in items):
                raise r.error(k, "expected a list of node names")
            body[name] = tuple(items)
    return cls(key=f"{key}.{kind}", **body)


def _step(r: _LessonReader, data: Any, key: str) -> Step:
    d = _fields(r, data, key, {"title": (str,), "narration": (str,), "action": (dict,),
                               "check": (dict, list), "hints": (list,), "wait_us": NUM},
                ("title", "narration", "check"))
    checks = d["check"] if isinstance(d["check"], list) else [d["check"]]
    if not checks:
        raise r.error(f"{key}.check", "a step needs at least one check")
    hints = d.get("hints", [])
    for i, h in enumerate(hints):
        if not isinstance(h, str):
            raise r.error(f"{key}.hints[{i}]", f"expected text, got {h!r}")
    wait = float(d.get("wait_us", 2000.0))
    if not 0 < wait <= 1_000_000:
        raise r.error(f"{key}.wait_us", "must be more than 0 and at most 1000000 \u00b5s")
    sub = f"{key}.check" if isinstance(d["check"], dict) else None
    return Step(d["title"], d["narration"].strip(),
                _action(r, d["action"], f"{key}.action") if "action" in d else None,
                [_check(r, c, sub or f"{key}.check[{i}]") for i, c in enumerate(checks)],
                list(hints), wait)


def parse_lesson(text: str, source: str = "lesson") -> Lesson:
    """A :class:`Lesson` from YAML ``text``; ``source`` names the file in errors."""
    r = _LessonReader(source)
    root = _compose(text, source)
    if root is None:
        raise LessonError("the file is empty", "", None, source)
    try:
        data = r.value(root, "")
    except LessonError:
        raise
    except ScenarioError as exc:  # the shared reader's own words
        raise LessonError(exc.detail.replace("scenario", "lesson"), exc.key, exc.line,
                          source) from None
    d = _fields(r, data, "", {"name": (str,), "title": (str,), "cites": (list,),
                              "scenario": (str,), "fabric": (str,), "mode": (str,),
                              "keep_script": (bool,), "start_us": NUM, "steps": (list,)},
                ("title", "cites", "steps"))
    if ("scenario" in d) == ("fabric" in d):
        raise r.error("", "name exactly one of scenario (a scenario name or file) or fabric")
    if d.get("mode", "auto") not in MODES:
        raise r.error("mode", f"use one of {', '.join(MODES)}")
    if not d["cites"] or not all(isinstance(c, str) for c in d["cites"]):
        raise r.error("cites", "list the patent's paragraphs or figures it teaches, as text")
    if not d["steps"]:
        raise r.error("steps", "a lesson needs at least one step")
    start = float(d.get("start_us", 1000.0))
    if not 0 <= start <= 1_000_000:
        raise r.error("start_us", "must be 0..1000000 \u00b5s")
    steps = [_step(r, s, f"steps[{i}]") for i, s in enumerate(d["steps"])]
    return Lesson(d.get("name") or Path(source).stem, d["title"], list(d["cites"]), steps,
                  d.get("scenario"), d.get("fabric"), d.get("mode"),
                  d.get("keep_script", False), start, source, r.lines)


def load_lesson_file(path: str | Path) -> Lesson:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"cannot read: {exc}", "", None, str(p)) from None
    return parse_lesson(text, str(p))
