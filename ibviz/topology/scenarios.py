"""Built-in scenarios (``resources/scenarios/*.yaml``) and opening a session from a
scenario name, a scenario file, or a bare fabric (a session with no traffic)."""

from __future__ import annotations

from pathlib import Path

from ibviz.core.fabric import Fabric
from ibviz.core.scenario import Scenario, ScenarioError, Session
from ibviz.resources import resource_path
from ibviz.topology import Progress, TopologyError, open_fabric
from ibviz.topology.scenario_yaml import load_scenario_file, parse_scenario

ORDER = ("fig8", "fig10", "prior-art-lmc", "ud-mlid-slid", "rc-unicast-group-lid",
         "rc-accept-multicast",
         "two-subnets", "fat-tree-1000")


def _dir() -> Path:
    return resource_path("scenarios")


def scenario_names() -> list[str]:
    """Built-in scenario names, the seed's figures first."""
    found = {p.stem for p in _dir().glob("*.yaml")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def scenario_description(name: str) -> str:
    return load_scenario(name).description


def is_scenario_file(path: str | Path) -> bool:
    p = Path(path)
    return p.suffix.lower() in (".yaml", ".yml") and p.is_file()


def load_scenario(spec: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    text = str(spec)
    if is_scenario_file(text):
        return load_scenario_file(text)
    if text in scenario_names():
        path = _dir() / f"{text}.yaml"
        sc = parse_scenario(path.read_text(encoding="utf-8"), str(path))
        sc.source = f"builtin:{text} ({path})"
        return sc
    raise ScenarioError(f"no scenario {text!r}: not a .yaml file, and the built-in ones are "
                        f"{', '.join(scenario_names())}", "", None, text)


def fabric_for(sc: Scenario, progress: Progress | None = None) -> Fabric:
    """Open the scenario's fabric (built-in name, generator spec, or a path relative to
    the scenario file)."""
    spec = sc.fabric
    base = Path(sc.source.split(" (")[-1].rstrip(")")) if sc.source else None
    candidate = base.parent / spec if base is not None and base.parent else Path(spec)
    try:
        return open_fabric(candidate if candidate.exists() else spec, progress=progress)
    except (TopologyError, KeyError, ValueError, OSError) as exc:
        raise sc.error("fabric", f"cannot open fabric {spec!r}: {exc}") from exc


def open_session(spec: str | Path, *, mode: str | None = None, seed: int | None = None,
                 progress: Progress | None = None, record_hops: bool = True) -> Session:
    """A :class:`Session` for a built-in scenario name or a scenario file."""
    sc = load_scenario(spec)
    return Session(sc, fabric_for(sc, progress), mode=mode, seed=seed,
                   record_hops=record_hops)


def session_for_fabric(fabric: Fabric, duration_us: float = 10_000.0) -> Session:
    """A session on a fabric alone: the SM brings it up; no groups, no traffic."""
    sc = Scenario(fabric.name, fabric.source or fabric.name,
                  f"fabric {fabric.name} without a scenario", duration_us=duration_us)
    return Session(sc, fabric)


__all__ = ["fabric_for", "is_scenario_file", "load_scenario", "open_session",
           "scenario_description", "scenario_names", "session_for_fabric"]
