"""Parsing of compact generator specs (``"fat-tree:k=4,n=3"``) for
:func:`ibviz.topology.generators.generate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ibviz.core.phy import LinkSpeed, LinkWidth

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    try:
        return int(str(v).strip(), 0)
    except ValueError:
        raise ValueError(f"{v!r} is not an integer") from None


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not a number")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{v!r} is not a number") from None


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    t = str(v).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{v!r} is not a boolean (use 1/0, true/false, yes/no)")


def _to_dims(v: Any) -> tuple[int, ...]:
    if isinstance(v, list | tuple):
        return tuple(_to_int(x) for x in v)
    parts = str(v).strip().lower().split("x")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{v!r} is not a list of sizes such as 4x4x2") from None


def _to_width(v: Any) -> LinkWidth:
    return v if isinstance(v, LinkWidth) else LinkWidth.parse(str(v))


def _to_speed(v: Any) -> LinkSpeed:
    return v if isinstance(v, LinkSpeed) else LinkSpeed.parse(str(v))


_COMMON: dict[str, Callable[[Any], Any]] = {
    "width": _to_width, "speed": _to_speed, "assign_lids": _to_bool, "lmc": _to_int}
_TORUS_LIKE = {"hcas_per_switch": _to_int, "switch_ports": _to_int}
PARAMS: dict[str, tuple[tuple[str, ...], dict[str, Callable[[Any], Any]]]] = {
    # generator: (required keys, all keys -> converter)
    "fat-tree": (("k", "n"), {"k": _to_int, "n": _to_int}),
    "leaf-spine": (("hcas",), {
        "hcas": _to_int, "hcas_per_leaf": _to_int, "oversubscription": _to_float,
        "spines": _to_int, "dual_port": _to_bool, "switch_ports": _to_int}),
    "torus": (("dims",), {"dims": _to_dims, "wrap": _to_bool, **_TORUS_LIKE}),
    "mesh": (("dims",), {"dims": _to_dims, **_TORUS_LIKE}),
    "ring": (("switches",), {"switches": _to_int, **_TORUS_LIKE}),
}


def _split(text: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = text.strip().partition(":")
    raw: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError(f"expected key=value in generator spec, got {item!r}")
        if key in raw:
            raise ValueError(f"key {key!r} given twice in generator spec")
        raw[key] = value.strip()
    return kind.strip(), raw


def _fmt(value: Any) -> str:
    if isinstance(value, LinkWidth | LinkSpeed):
        return value.label
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return str(value)


def parse_spec(spec: str | dict, known: tuple[str, ...]
               ) -> tuple[str, dict[str, Any], str]:
    """``(generator, keyword arguments, canonical spec text)`` for a spec string or dict."""
    if isinstance(spec, dict):
        raw = dict(spec)
        kind = raw.pop("type", None)
        if kind is None:
            raise ValueError(f"generator spec dict needs a 'type' key (one of {', '.join(known)})")
        kind = str(kind)
    elif isinstance(spec, str):
        kind, raw = _split(spec)
    else:
        raise ValueError(f"a generator spec is a string or a dict, not {type(spec).__name__}")
    if kind not in PARAMS or kind not in known:
        raise ValueError(f"unknown generator {kind!r}; known generators: {', '.join(known)}")
    required, table = PARAMS[kind]
    table = {**table, **_COMMON}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in table:
            raise ValueError(f"{kind}: unknown key {key!r}; allowed keys: {', '.join(table)}")
        try:
            kwargs[key] = table[key](value)
        except ValueError as exc:
            raise ValueError(f"{kind}: bad value for {key}: {exc}") from None
    missing = [k for k in required if k not in kwargs]
    if missing:
        raise ValueError(f"{kind}: missing required key(s) {', '.join(missing)}; "
                         f"allowed keys: {', '.join(table)}")
    canonical = f"{kind}:" + ",".join(f"{k}={_fmt(v)}" for k, v in kwargs.items())
    return kind, kwargs, canonical
