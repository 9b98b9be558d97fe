"""What ``File > Open`` and ``ibviz gui FILE`` accept, turned into a running session.

A spec is a saved session (``*.ibviz.json``), a scenario (built-in name or YAML file), or
a fabric (any file :func:`ibviz.topology.load` reads, a built-in fabric name or a
generator spec such as ``leaf-spine:hcas=10000``); a fabric alone gets a session with
its subnet manager and no traffic. The demo opens its scenario in free play (its script's
failures left out: the trainer fails what they like); a scenario opened by name plays its
script. Everything here runs in a worker thread: no Qt. ``stage(text)`` is told each
step as it starts (``Generating fat-tree:k=35,n=3``, ``Routing 46,550 LIDs``), for the
progress dialog, and ``progress(done, total)`` how far into it (a fat tree's generator
level by level, the SM's first sweep switch by switch: :mod:`ibviz.core.sm.progress`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibviz.app import session_file
from ibviz.backends.sim import SimBackend
from ibviz.core.bulk import Progress
from ibviz.core.fabric import Fabric
from ibviz.core.model import NodeKind
from ibviz.core.scenario.session import Session
from ibviz.core.sm import progress as sm_progress

Stage = Callable[[str], None]
"""``stage(text)``: the name of the step that starts."""

SCENARIO_SUFFIXES = (".yaml", ".yml")
DEMO, DEMO_SCENARIO = "demo", "fig10"
FILE_FILTER = ("Everything ibviz opens (*.ibviz.json *.yaml *.yml *.topo *.net *.json *.lst "
               "*.txt *.out *.csv *.ibnetdiscover);;Saved sessions (*.ibviz.json);;"
               "Scenarios (*.yaml *.yml);;Fabric files (*.topo *.net *.json *.lst *.txt *.out "
               "*.csv *.ibnetdiscover);;All files (*)")


@dataclass
class Loaded:
    """A session ready to show, and how it was opened."""

    session: Session
    source: dict[str, Any]
    """``kind`` (scenario or fabric), ``spec``, ``mode``, ``seed`` (saved with the session)."""
    positions: dict[int, tuple[float, float]] | None = None
    time_us: float = 0.0
    group: int = 0
    warnings: list[str] = field(default_factory=list)
    canvas: Any = None
    """What the window built from it off the GUI thread (its canvas arrays), or None."""

    @property
    def backend(self) -> SimBackend:
        """The built-in simulation driving :attr:`session`."""
        return SimBackend(self.session)


STATE_FILES = ("opensm.mcfdbs", "opensm-lfts.dump", "opensm-sa.dump", "guid2lid")
STATE_SUFFIXES = (".fdbs", ".mcfdbs", ".db_csv", ".dump")
"""Files the read-only directory reader takes and File > Open does not (not a fabric)."""


def read_only_source(spec: str) -> bool:
    """``spec`` is a real fabric's state, opened read-only as File > Connect > Real fabric
    does: a directory of dumps, or an OpenSM/ibdiagnet state file (gzipped too) that is no
    fabric file File > Open reads."""
    path = Path(spec)
    if path.is_dir():
        return True
    if not path.is_file():
        return False
    name = path.name.removesuffix(".gz")
    return name in STATE_FILES or name.endswith(STATE_SUFFIXES)


def builtin_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) of every built-in scenario."""
    from ibviz.topology.scenarios import scenario_description, scenario_names

    return [(name, scenario_description(name)) for name in scenario_names()]


def resolve_demo(spec: str) -> str:
    """``demo`` is the seed's FIG. 10 scenario unless a scenario of that name exists."""
    from ibviz.topology.scenarios import scenario_names

    if spec == DEMO and not Path(spec).exists() and DEMO not in scenario_names():
        return DEMO_SCENARIO
    return spec


def spec_kind(spec: str) -> str:
    """``session``, ``scenario`` or ``fabric``."""
    path = Path(spec)
    if session_file.is_session_file(path):
        return "session"
    if path.suffix.lower() in SCENARIO_SUFFIXES:
        return "scenario"
    if not path.exists():
        from ibviz.topology.scenarios import scenario_names

        if spec in scenario_names():
            return "scenario"
    return "fabric"


def lids_to_route(fabric: Fabric, lmc: int = 0) -> int:
    """How many LIDs the SM will assign: one per switch, ``2**lmc`` per cabled channel
    adapter or router port (what the progress dialog says while it routes)."""
    switches = sum(1 for n in fabric.nodes.values() if n.kind is NodeKind.SWITCH)
    ends = sum(1 for ref in fabric.cabled_ports()
               if fabric.nodes[ref.node].kind is not NodeKind.SWITCH)
    return switches + (ends << lmc)


def _quiet(_text: str) -> None:
    """No one listens to the stages."""


def open_any(spec: str, progress: Progress | None = None, mode: str | None = None,
             seed: int | None = None, stage: Stage = _quiet) -> Loaded:
    """Open ``spec`` (see the module docstring).

    Raises
    ------
    TopologyError, ScenarioError, SessionFileError, OSError
        With a message naming the file and, where known, the line.
    """
    free = spec == DEMO and resolve_demo(spec) != spec
    spec = resolve_demo(spec)
    kind = spec_kind(spec)
    if kind == "session":
        stage(f"Reading {Path(spec).name}")
        saved = session_file.load(spec)
        if spec_kind(saved.spec) == "session":
            raise session_file.SessionFileError(f"{spec}: source: a session cannot open "
                                                "another session")
        loaded = open_any(saved.spec, progress, saved.mode, saved.seed, stage)
        stage(f"Replaying {len(saved.actions)} action(s)")
        session_file.replay(loaded.session, saved.actions)
        loaded.session.run_until(saved.time_us)
        loaded.positions = saved.positions or None
        loaded.time_us, loaded.group = saved.time_us, saved.group
        return loaded
    if kind == "scenario":
        session = _open_scenario(spec, progress, mode, seed, free, stage)
        return Loaded(session, {"kind": "scenario", "spec": DEMO if free else spec,
                                "mode": mode, "seed": seed})
    return _open_fabric(spec, progress, seed, stage)


def _open_scenario(spec: str, progress: Progress | None, mode: str | None,
                   seed: int | None, free: bool, stage: Stage) -> Session:
    from ibviz.core.scenario.rewind import free_play
    from ibviz.topology.scenarios import fabric_for, load_scenario

    stage(f"Reading scenario {Path(spec).name}")
    scenario = load_scenario(spec)
    if free:
        scenario = free_play(scenario)
    fabric = fabric_for(scenario, progress)
    stage(f"Routing {lids_to_route(fabric, scenario.sm.lmc):,} LIDs")
    with sm_progress.reporting(progress):  # the first sweep says how far it routed
        return Session(scenario, fabric, mode=mode, seed=seed)


def _open_fabric(spec: str, progress: Progress | None, seed: int | None,
                 stage: Stage) -> Loaded:
    from ibviz.topology import open_fabric
    from ibviz.topology.scenarios import session_for_fabric

    stage(f"Reading {Path(spec).name}" if Path(spec).is_file() else f"Generating {spec}")
    fabric = open_fabric(spec, progress=progress)
    stage(f"Routing {lids_to_route(fabric):,} LIDs")
    with sm_progress.reporting(progress):
        session = session_for_fabric(fabric)
    warnings = [str(w) for w in fabric.warnings]
    return Loaded(session, {"kind": "fabric", "spec": spec, "mode": None, "seed": seed},
                  warnings=warnings)


def save_session(path: str, loaded_source: dict[str, Any], session: Any, time_us: float,
                 positions: dict[int, tuple[float, float]], group: int) -> None:
    """Write the shown session to ``path`` (see :mod:`ibviz.app.session_file`)."""
    saved = session_file.SavedSession(
        loaded_source["kind"], loaded_source["spec"], loaded_source.get("mode"),
        loaded_source.get("seed"), float(time_us),
        list(session.actions), dict(positions), group)
    session_file.save(path, saved)
