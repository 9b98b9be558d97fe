"""Reading and writing fabric descriptions in the formats operators really have.

>>> fabric = load("ibnetdiscover.out")           # format detected
>>> save(fabric, "fabric.json")                  # format from the extension
>>> fabric = open_fabric("fig3")                 # a built-in fabric or a generator spec
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ibviz.core import checks
from ibviz.core.bulk import Progress, gc_paused
from ibviz.core.fabric import Fabric
from ibviz.topology._text import read_lines
from ibviz.topology.detect import STATE_FORMATS, TOPOLOGY_FORMATS, detect_format
from ibviz.topology.errors import NotATopologyError, TopologyError, TopologyWarning, unexpected

WRITE_FORMATS = ("ibnetdiscover", "ibsim", "json", "dot")
_EXTENSIONS = {".json": "json", ".dot": "dot", ".gv": "dot", ".net": "ibsim",
               ".topo": "ibnetdiscover", ".ibnetdiscover": "ibnetdiscover"}




def _reader(fmt: str, progress: Progress | None = None) -> Callable[[str, list[str]], Fabric]:
    if fmt in ("ibnetdiscover", "ibsim"):
        from ibviz.topology.ibnetdiscover import parse_ibnetdiscover

        return lambda path, lines: parse_ibnetdiscover(path, fmt, lines, progress=progress)
    if fmt == "ibnetdiscover-ports":
        from ibviz.topology.ports_report import parse_ports_report as fn
    elif fmt == "opensm-subnet-lst":
        from ibviz.topology.subnet_lst import parse_subnet_lst as fn
    elif fmt == "iblinkinfo":
        from ibviz.topology.iblinkinfo import parse_iblinkinfo as fn
    elif fmt == "ibdiagnet-csv":
        from ibviz.topology.ibdiagnet_csv import parse_ibdiagnet_csv as fn
    elif fmt == "json":
        from ibviz.topology.json_format import parse_json

        return lambda path, lines: parse_json(path, "\n".join(lines))
    else:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(TOPOLOGY_FORMATS)}")
    return lambda path, lines: fn(path, lines)


def load(path: str | Path, fmt: str | None = None, progress: Progress | None = None) -> Fabric:
    """Read a fabric file; the format is detected unless ``fmt`` forces one.

    ``progress(done, total)`` is called now and then while a large file is parsed.

    Raises
    ------
    TopologyError
        Unreadable or malformed input (names file, line, column and what was expected);
        :class:`NotATopologyError` for recognised files that hold fabric state instead.
    """
    try:
        return _load(path, fmt, progress)
    except TopologyError:
        raise
    except Exception as exc:  # noqa: BLE001 - any surprise still names the file, one line
        raise unexpected(exc, str(path)) from exc


def _load(path: str | Path, fmt: str | None, progress: Progress | None) -> Fabric:
    file = str(path)
    if fmt is not None and fmt not in TOPOLOGY_FORMATS:
        raise TopologyError(f"unknown format {fmt!r}", file=file,
                            expected=f"one of {', '.join(TOPOLOGY_FORMATS)}")
    warnings: list[TopologyWarning] = []
    lines = read_lines(path, warnings)
    if fmt is None:
        found = detect_format(lines)
        if found is None:
            raise TopologyError("cannot tell what kind of file this is", file=file,
                                line=1, expected=f"one of {', '.join(TOPOLOGY_FORMATS)}")
        if found.format in STATE_FORMATS:
            kind, hint = STATE_FORMATS[found.format]
            raise NotATopologyError(kind, file=file, line=found.line, hint=hint)
        fmt = found.format
    with gc_paused():
        fabric = _reader(fmt, progress)(file, lines)
        fabric.warnings[:0] = warnings
        fabric.source, fabric.source_format = file, fmt
        if fmt != "json":  # a JSON file already carries the warnings it was saved with
            for finding in checks.degraded_links(fabric):
                fabric.warnings.append(TopologyWarning(finding.message, file, None,
                                                       "degraded-link"))
    return fabric


def format_for_path(path: str | Path) -> str:
    return _EXTENSIONS.get(Path(path).suffix.lower(), "ibnetdiscover")


def dumps(fabric: Fabric, fmt: str) -> str:
    """The fabric as text in one of :data:`WRITE_FORMATS`."""
    if fmt in ("ibnetdiscover", "ibsim"):
        from ibviz.topology.ibnetdiscover_writer import format_ibnetdiscover

        return format_ibnetdiscover(fabric, flavour=fmt)
    if fmt == "json":
        from ibviz.topology.json_format import format_json

        return format_json(fabric)
    if fmt == "dot":
        from ibviz.topology.dot import format_dot

        return format_dot(fabric)
    raise ValueError(f"cannot write {fmt!r}; writable formats: {', '.join(WRITE_FORMATS)}")


def save(fabric: Fabric, path: str | Path, fmt: str | None = None) -> str:
    """Write ``fabric`` to ``path`` (format from ``fmt`` or the extension); returns the format."""
    fmt = fmt or format_for_path(path)
    text = dumps(fabric, fmt)
    Path(path).write_text(text, encoding="utf-8")
    return fmt


def open_fabric(spec: str | Path, fmt: str | None = None,
                progress: Progress | None = None) -> Fabric:
    """A fabric from a file path, a built-in name (``fig3``) or a generator spec
    (``leaf-spine:hcas=1000``)."""
    text = str(spec)
    if not Path(text).exists():
        from ibviz.topology import builtin, generators

        if text in builtin.builtin_names():
            fabric = builtin.load_builtin(text)
            fabric.source, fabric.source_format = text, "builtin"
            return fabric
        if ":" in text and text.split(":", 1)[0] in generators.GENERATORS:
            fabric = generators.generate(text, progress)
            fabric.source, fabric.source_format = text, "generator"
            return fabric
    return load(spec, fmt, progress)


__all__ = ["NotATopologyError", "TopologyError", "TopologyWarning", "WRITE_FORMATS",
           "TOPOLOGY_FORMATS", "dumps", "load", "open_fabric", "save"]
