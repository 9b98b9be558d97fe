"""Scenario files: YAML read with ``yaml.SafeLoader`` (never executes anything) and
checked key by key; every error names the file, the line and the key.

The format is documented in ``docs/scenarios.md``; built-in scenarios live in
``resources/scenarios/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ibviz.core.addressing import parse_gid
from ibviz.core.failover.model import Detection, Failback
from ibviz.core.scenario.model import (
    ACTIONS,
    JOIN_STATES,
    Action,
    FailoverSpec,
    FlowSpec,
    GroupSpec,
    MemberSpec,
    Scenario,
    ScenarioError,
    SmOptions,
)
from ibviz.topology._scenario_bounds import MAX_BYTES, MAX_TIME_US, check_aliases, packets
from ibviz.topology._scenario_bounds import check as _check

TOP = {"name", "description", "fabric", "sm", "groups", "flows", "failover", "timeline",
       "duration_us", "seed"}


PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in
              ("map", "seq", "str", "int", "float", "bool", "null")}


class _Reader:
    """Turns the composed YAML node tree into plain values, remembering key lines."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}

    def error(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(message, key, self.lines.get(key), self.source)

    def value(self, node: yaml.Node, key: str) -> Any:
        self.lines.setdefault(key, node.start_mark.line + 1)
        if node.tag not in PLAIN_TAGS:
            raise self.error(key, f"YAML tag {node.tag!r} is not allowed in a scenario")
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    raise ScenarioError("keys must be plain words", key,
                                        k.start_mark.line + 1, self.source)
                sub = f"{key}.{k.value}" if key else k.value
                self.lines[sub] = k.start_mark.line + 1
                if k.value in out:
                    raise self.error(sub, "appears twice")
                out[k.value] = self.value(v, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v, f"{key}[{i}]") for i, v in enumerate(node.value)]
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(key, "YAML aliases and tags are not allowed here")
        try:
            return yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError as exc:
            raise self.error(key, f"bad value: {' '.join(str(exc).split())}") from None


def _fields(r: _Reader, data: Any, key: str, allowed: dict[str, tuple[type, ...]],
            required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise r.error(key, "expected a mapping of keys")
    for k in data:
        if k not in allowed:
            raise r.error(f"{key}.{k}" if key else k, f"unknown key; expected one of "
                          f"{', '.join(sorted(allowed))}")
    for k in required:
        if k not in data:
            raise r.error(key, f"missing key {k!r}")
    for k, v in data.items():
        types = allowed[k]
        if types and not isinstance(v, types) or isinstance(v, bool) and bool not in types:
            names = " or ".join(t.__name__ for t in types)
            raise r.error(f"{key}.{k}" if key else k, f"expected {names}, got {v!r}")
    return data


NUM = (int, float)


def _number(r: _Reader, value: Any, key: str, parse=int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return parse(str(value))
    except ValueError:
        raise r.error(key, f"expected a number or GID, got {value!r}") from None


def _mgid(text: str) -> int:
    return parse_gid(text) if ":" in text else int(text, 0)


def parse_scenario(text: str, source: str = "scenario") -> Scenario:
    """A :class:`Scenario` from YAML ``text``; ``source`` names the file in errors."""
    r = _Reader(source)
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"larger than {MAX_BYTES >> 20} MiB", "", None, source)
    check_aliases(text, source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ScenarioError(f"not valid YAML: {problem}", "",
                            mark.line + 1 if mark else None, source) from None
    if root is None:
        raise ScenarioError("the file is empty", "", None, source)
    try:
        data = r.value(root, "")
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}", "", None, source) from None
    d = _fields(r, data, "", {k: () for k in TOP}, ("fabric",))
    _fields(r, d, "", {"name": (str,), "description": (str,), "fabric": (str,),
                       "sm": (dict,), "groups": (list,), "flows": (list,),
                       "failover": (dict, list), "timeline": (list,),
                       "duration_us": NUM, "seed": (int,)})
    sc = Scenario(d.get("name") or Path(source).stem, d["fabric"],
                  d.get("description", ""), source=source, lines=r.lines)
    sc.duration_us = float(_check(r, d.get("duration_us", sc.duration_us), "duration_us", 0,
                                  MAX_TIME_US, above=True))
    sc.seed = _check(r, d.get("seed", 0), "seed", 0, 2 ** 63 - 1)
    if "sm" in d:
        sm = _fields(r, d["sm"], "sm", {"lmc": (int,), "routing": (str,),
                                         "no_mft_switches": (list,)})
        sc.sm = SmOptions(sm.get("lmc", 0), sm.get("routing", "minhop"),
                          [str(x) for x in sm.get("no_mft_switches", [])])
        if not 0 <= sc.sm.lmc <= 7:
            raise r.error("sm.lmc", "LMC must be 0..7")
    for i, g in enumerate(d.get("groups", [])):
        key = f"groups[{i}]"
        g = _fields(r, g, key, {"name": (str,), "mgid": (str, int), "members": (list,),
                                "unicast_lid": (str, int), "qkey": (str, int)},
                    ("name", "mgid"))
        members = []
        for j, m in enumerate(g.get("members", [])):
            mk = f"{key}.members[{j}]"
            m = {"node": m} if isinstance(m, str) else m
            m = _fields(r, m, mk, {"node": (str,), "join": (str,)}, ("node",))
            if m.get("join", "full") not in JOIN_STATES:
                raise r.error(f"{mk}.join", f"use one of {', '.join(JOIN_STATES)}")
            members.append(MemberSpec(m["node"], m.get("join", "full")))
        lid = g.get("unicast_lid")
        sc.groups.append(GroupSpec(
            g["name"], _check(r, _number(r, g["mgid"], f"{key}.mgid", _mgid), f"{key}.mgid",
                              0, 2 ** 128 - 1),
            members, None if lid is None else
            _check(r, _number(r, lid, f"{key}.unicast_lid", lambda t: int(t, 0)),
                   f"{key}.unicast_lid", 1, 0xBFFF),
            _check(r, _number(r, g.get("qkey", 0x1E1E), f"{key}.qkey", lambda t: int(t, 0)),
                   f"{key}.qkey", 0, 0xFFFF_FFFF)))
        sc.lines.setdefault(f"groups.{g['name']}", r.lines.get(key, 0))
    for i, f in enumerate(d.get("flows", [])):
        sc.flows.append(_flow(r, f, f"flows[{i}]"))
    packets(r, sc)
    names = [f.name for f in sc.flows]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise r.error(f"flows[{i}].name", f"flow name {n!r} is used twice")
    fos = d.get("failover", [])
    for i, fo in enumerate(fos if isinstance(fos, list) else [fos]):
        sc.failover.append(_failover(r, fo, f"failover[{i}]" if isinstance(fos, list)
                                     else "failover"))
    for i, a in enumerate(d.get("timeline", [])):
        sc.timeline.append(_action(r, a, f"timeline[{i}]"))
    return sc


def _flow(r: _Reader, f: Any, key: str) -> FlowSpec:
    spec = {"name": (str,), "source": (str,), "destination": (str,), "transport": (str,),
            "rate_pps": NUM, "size": (int,), "start_us": NUM, "stop_us": NUM,
            "pattern": (str,), "slid": (str,), "learn": (str,), "learn_from": (str,),
            "workaround": (str,), "ack_timeout_us": NUM, "retry_count": (int,),
            "window": (int,)}
    f = _fields(r, f, key, spec, ("name", "source", "destination"))
    choices = {"pattern": ("constant", "poisson"), "slid": ("port", "mlid"),
               "learn": ("none", "slid", "path_record")}
    for k, allowed in choices.items():
        if k in f and f[k] not in allowed:
            raise r.error(f"{key}.{k}", f"use one of {', '.join(allowed)}")
    if "size" in f and not 64 <= f["size"] <= 4200:
        raise r.error(f"{key}.size", "packet size must be 64..4200 bytes")
    for k, lo, hi, above in (("rate_pps", 0, 1e9, True), ("start_us", 0, MAX_TIME_US, False),
                             ("stop_us", 0, MAX_TIME_US, False),
                             ("ack_timeout_us", 0, MAX_TIME_US, True),
                             ("retry_count", 0, 7, False), ("window", 1, 1 << 16, False)):
        _check(r, f.get(k), f"{key}.{k}", lo, hi, above)
    return FlowSpec(**{k: (float(v) if isinstance(v, int) and spec[k] == NUM else v)
                       for k, v in f.items()})


def _failover(r: _Reader, fo: Any, key: str) -> FailoverSpec:
    fo = _fields(r, fo, key, {"group": (str,), "primary": (str,), "takeover": (str,),
                              "mode": (str,), "exclusive": (bool,), "switch": (str,),
                              "detection": (dict,), "failback": (dict,)},
                 ("group", "primary", "takeover"))
    det = _fields(r, fo.get("detection", {}), f"{key}.detection",
                  {"method": (str,), "interval_us": NUM, "miss_count": (int,),
                   "report_us": NUM})
    for k, lo, hi, above in (("interval_us", 0, MAX_TIME_US, True), ("miss_count", 1, 1000, False),
                             ("report_us", 0, MAX_TIME_US, False)):
        _check(r, det.get(k), f"{key}.detection.{k}", lo, hi, above)
    if det.get("method", "sm") not in ("sm", "peer"):
        raise r.error(f"{key}.detection.method", "use sm (trap to the SM) or peer "
                      "(heartbeats)")
    fb = _fields(r, fo.get("failback", {}), f"{key}.failback",
                 {"state_dump": (bool,), "state_dump_us": NUM, "stay_until_expired": (bool,),
                  "connection_lifetime_us": NUM})
    for k in ("state_dump_us", "connection_lifetime_us"):
        _check(r, fb.get(k), f"{key}.failback.{k}", 0, MAX_TIME_US)
    return FailoverSpec(fo["group"], fo["primary"], fo["takeover"], fo.get("mode", "auto"),
                        fo.get("exclusive", False), fo.get("switch"),
                        Detection(**det), Failback(**fb))


def _action(r: _Reader, a: Any, key: str) -> Action:
    if not isinstance(a, dict) or "at_us" not in a:
        raise r.error(key, "expected a mapping with at_us and one action "
                      f"({', '.join(ACTIONS)})")
    kinds = [k for k in a if k in ACTIONS]
    if len(kinds) != 1:
        raise r.error(key, f"name exactly one action of {', '.join(ACTIONS)}")
    kind = kinds[0]
    _fields(r, a, key, {"at_us": NUM, kind: (str, dict)})
    body = a[kind] if isinstance(a[kind], dict) else {"node": a[kind]}
    body = _fields(r, body, f"{key}.{kind}", {"node": (str,), "group": (str,),
                                               "port": (int,), "join": (str,),
                                               "primary": (int,), "not_primary": (int,)},
                   ("node",))
    _check(r, a["at_us"], f"{key}.at_us", 0, MAX_TIME_US)
    for k in ("port", "primary", "not_primary"):
        _check(r, body.get(k), f"{key}.{kind}.{k}", 0, 255)
    return Action(float(a["at_us"]), kind, body["node"], body.get("group"), body.get("port"),
                  body.get("join", "full"), body.get("primary"), body.get("not_primary"))


def load_scenario_file(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        if not p.is_file() and p.exists():
            raise ScenarioError("not a regular file", "", None, str(p))
        if p.exists() and p.stat().st_size > MAX_BYTES:
            raise ScenarioError(f"larger than {MAX_BYTES >> 20} MiB", "", None, str(p))
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", "", None, str(p)) from None
    return parse_scenario(text, str(p))
