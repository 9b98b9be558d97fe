"""Save and restore a GUI session as JSON (never pickle: a session file may come from
anyone): what was opened, the user's actions with their simulated times, node positions
and the view time. Restoring re-opens the source and replays the actions, which
reproduces the same state because sessions are deterministic.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibviz.core import actions as act

FORMAT = "ibviz-session"
VERSION = 1
SUFFIX = ".ibviz.json"


class SessionFileError(ValueError):
    """A session file that cannot be restored; the message names the file and the key."""


@dataclass
class SavedSession:
    kind: str
    """``scenario`` (built-in name or YAML path) or ``fabric`` (fabric file or spec)."""
    spec: str
    mode: str | None = None
    seed: int | None = None
    time_us: float = 0.0
    actions: list[act.Timed] = field(default_factory=list)
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)
    group: int = 0
    """MGID of the group selected in the groups panel (0: none)."""


def is_session_file(path: str | Path) -> bool:
    """Cheap test: a JSON file whose start names the session format."""
    p = Path(path)
    if p.suffix.lower() != ".json" or not p.is_file():
        return False
    with p.open("rb") as fh:
        head = fh.read(256)
    return FORMAT.encode() in head


def save(path: str | Path, saved: SavedSession) -> None:
    """Write ``saved`` to ``path`` (source paths stored absolute and relative to it)."""
    target = Path(path)
    spec = saved.spec
    relative = None
    if Path(spec).exists():
        spec = str(Path(spec).resolve())
        try:
            relative = os.path.relpath(spec, target.resolve().parent)
        except ValueError:  # another drive (Windows)
            relative = None
    doc = {"format": FORMAT, "version": VERSION,
           "source": {"kind": saved.kind, "spec": spec, "relative": relative,
                      "mode": saved.mode, "seed": saved.seed},
           "time_us": saved.time_us, "group": f"{saved.group:#x}",
           "actions": [act.to_record(t) for t in saved.actions],
           "positions": {f"{g:#018x}": [round(x, 3), round(y, 3)]
                         for g, (x, y) in sorted(saved.positions.items())}}
    target.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def _fail(path: Path, key: str, what: str) -> SessionFileError:
    return SessionFileError(f"{path}: {key}: {what}")


def _number(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value):
        raise _fail(path, key, f"expected a number, found {value!r}")
    return float(value)


def load(path: str | Path) -> SavedSession:
    """Read and check a session file (raises :class:`SessionFileError`)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionFileError(f"{p}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SessionFileError(f"{p}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(p, "format", f"not an ibviz session (expected \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise _fail(p, "version", f"version {doc.get('version')!r} is not supported "
                    f"(this ibviz reads version {VERSION})")
    source = doc.get("source")
    if not isinstance(source, dict) or source.get("kind") not in ("scenario", "fabric") or \
            not isinstance(source.get("spec"), str):
        raise _fail(p, "source", "expected {kind: scenario|fabric, spec: text}")
    spec = source["spec"]
    rel = source.get("relative")
    if isinstance(rel, str) and (p.resolve().parent / rel).exists():
        spec = str(p.resolve().parent / rel)
    mode, seed = source.get("mode"), source.get("seed")
    if mode is not None and mode not in ("auto", "mlid", "port", "lmc"):
        raise _fail(p, "source.mode", f"unknown mode {mode!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _fail(p, "source.seed", f"expected an integer, found {seed!r}")
    saved = SavedSession(source["kind"], spec, mode, seed,
                         _number(p, "time_us", doc.get("time_us", 0.0)))
    saved.actions = [_action(p, i, a) for i, a in enumerate(doc.get("actions") or [])]
    positions = doc.get("positions") or {}
    if not isinstance(positions, dict):
        raise _fail(p, "positions", "expected an object of GUID: [x, y]")
    for key, xy in positions.items():
        try:
            guid = int(key, 16)
        except (TypeError, ValueError):
            raise _fail(p, f"positions.{key}", "not a hexadecimal GUID") from None
        if not isinstance(xy, list) or len(xy) != 2:
            raise _fail(p, f"positions.{key}", "expected [x, y]")
        saved.positions[guid] = (_number(p, f"positions.{key}", xy[0]),
                                 _number(p, f"positions.{key}", xy[1]))
    try:
        saved.group = int(str(doc.get("group", "0")), 16)
    except ValueError:
        raise _fail(p, "group", "not a hexadecimal MGID") from None
    return saved


def _action(path: Path, i: int, raw: Any) -> act.Timed:
    key = f"actions[{i}]"
    if not isinstance(raw, dict):
        raise _fail(path, key, "expected an object")
    try:
        return act.from_record(raw)
    except act.RecordError as exc:
        raise _fail(path, f"{key}.{exc.key}", str(exc.args[0]).split(": ", 1)[-1]) from None


def replay(session: Any, actions: list[act.Timed]) -> None:
    """Apply saved user actions to a fresh session at their simulated times."""
    for timed in sorted(actions, key=lambda t: t.at_us):
        session.run_until(timed.at_us)
        session.apply(timed.action)
