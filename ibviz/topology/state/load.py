"""Recognise and read subnet state files, one by one or a whole directory.

Detection reuses :func:`ibviz.topology.detect.detect_format` (which refuses state files
where a topology is expected) and adds what only state reading needs: OpenSM's
``opensm-lfts.dump`` versus ``ibroute`` output, ``sminfo`` output, and OpenSM files that
are empty (``opensm.mcfdbs`` with no multicast entry), recognised by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ibviz.topology._text import decode_lines, read_lines, strip_markdown_quote
from ibviz.topology.detect import detect_format
from ibviz.topology.errors import TopologyError, TopologyWarning, unexpected
from ibviz.topology.state._reader import DumpIncomplete, StateReader
from ibviz.topology.state.lids import lids_from_topology, parse_guid2lid
from ibviz.topology.state.model import FabricState
from ibviz.topology.state.multicast import parse_ibroute_mcast, parse_mcfdbs
from ibviz.topology.state.opensm_log import LINE_RE as _OPENSM_LOG_RE
from ibviz.topology.state.opensm_log import parse_opensm_log
from ibviz.topology.state.sa import parse_sa_dump, parse_saquery_mcmember, parse_sminfo
from ibviz.topology.state.unicast import parse_fdbs, parse_unicast_tables

READERS: dict[str, Callable[[StateReader], None]] = {
    "guid2lid": parse_guid2lid,
    "ibroute": parse_unicast_tables,
    "opensm-lfts": parse_unicast_tables,
    "opensm-fdbs": parse_fdbs,
    "ibroute-mcast": parse_ibroute_mcast,
    "opensm-mcfdbs": parse_mcfdbs,
    "saquery-mcmember": parse_saquery_mcmember,
    "opensm-sa-dump": parse_sa_dump,
    "sminfo": parse_sminfo,
    "opensm-log": parse_opensm_log,
}
"""State formats and their readers, in the order a directory is applied."""

TOPOLOGY_STATE_FORMATS = ("ibnetdiscover", "json", "opensm-subnet-lst", "ibdiagnet-csv",
                          "ibnetdiscover-ports", "iblinkinfo")
"""Topology formats read for their LIDs, best topology first."""

STATE_FORMATS = TOPOLOGY_STATE_FORMATS + tuple(READERS)

_NAME_HINTS = {"opensm.mcfdbs": "opensm-mcfdbs", "opensm-mfts.dump": "opensm-mcfdbs",
               "opensm.fdbs": "opensm-fdbs", "opensm-lfts.dump": "opensm-lfts",
               "opensm-sa.dump": "opensm-sa-dump", "guid2lid": "guid2lid"}
_WHOLE_LFTS = ("opensm-lfts", "opensm-fdbs")
_WHOLE_MFTS = ("opensm-mcfdbs",)
_WHOLE_GROUPS = ("opensm-sa-dump", "saquery-mcmember")
_EXTRA_RULES = (  # what detect_format does not know (or misses)
    ("sminfo", re.compile(r"^sminfo: sm lid \d+ sm guid 0x")),
    ("opensm-log", _OPENSM_LOG_RE),
    ("opensm-lfts", re.compile(r"^Unicast lids \[\d+-\d+\] of switch Lid \d+ guid 0x")),
    ("opensm-sa-dump", re.compile(r"^MC Group 0x[0-9a-fA-F]+\s+\(well known\)\s*:")),
)
_IBROUTE_COLUMNS_RE = re.compile(r"^\s*Lid\s+Out\s+Destination")
_DETECT_BYTES = 1 << 16


def detect_state(path_or_lines: str | Path | list[str], name: str | None = None) -> str | None:
    """The state format of a file (path) or of its lines (``name``: the file's name, for
    OpenSM files that may be empty), or None when it holds no state ibviz reads.
    Topology formats that carry LIDs count (see :data:`TOPOLOGY_STATE_FORMATS`)."""
    if isinstance(path_or_lines, (str, Path)):
        name = Path(path_or_lines).name
        try:
            with open(path_or_lines, "rb") as fh:
                lines = decode_lines(fh.read(_DETECT_BYTES))
        except (OSError, TopologyError):
            return None
    else:
        lines = path_or_lines
    found = detect_format(lines)
    if found is None:
        body = [ln.strip() for ln in strip_markdown_quote(lines[:50]) if ln.strip()]
        for fmt, rule in _EXTRA_RULES:
            if body and rule.match(body[0]):
                return fmt
        if not body and name is not None:
            return _NAME_HINTS.get(name) or ("opensm-mcfdbs" if name.endswith(".mcfdbs")
                                             else None)
        return None
    fmt = found.format
    if fmt == "ibroute":
        rest = [ln for ln in strip_markdown_quote(lines)[found.line: found.line + 3]
                if ln.strip()]
        return "ibroute" if rest and _IBROUTE_COLUMNS_RE.match(rest[0]) else "opensm-lfts"
    return fmt if fmt in STATE_FORMATS else None


def parse_state(lines: list[str], fmt: str, file: str = "<input>",
                state: FabricState | None = None, strict: bool = False) -> FabricState:
    """Read ``lines`` of format ``fmt`` into ``state`` (a new one by default).

    ``strict`` also refuses what a half-written dump looks like (see :func:`parse_dump`).

    Raises
    ------
    TopologyError
        Malformed input: names the file, the line and what was expected there
        (:class:`DumpIncomplete` in strict mode for a file cut short).
    """
    state = FabricState() if state is None else state
    if fmt in READERS:
        READERS[fmt](StateReader(lines, file, state, strict))
        state.lfts_complete |= fmt in _WHOLE_LFTS
        state.mfts_complete |= fmt in _WHOLE_MFTS
        state.groups_complete |= fmt in _WHOLE_GROUPS
    elif fmt in TOPOLOGY_STATE_FORMATS:
        from ibviz.topology import _reader

        fabric = _reader(fmt)(file, lines)
        fabric.source, fabric.source_format = file, fmt
        lids_from_topology(StateReader(lines, file, state), fabric)
        state.topology_files.append((file, fmt))
        state.warnings += fabric.warnings
        best = state.topology
        if best is None or format_rank(fmt) < format_rank(best.source_format or ""):
            state.topology = fabric
    else:
        raise TopologyError(f"unknown state format {fmt!r}", file=file,
                            expected=f"one of {', '.join(STATE_FORMATS)}")
    state.sources.append((file, fmt))
    return state


def parse_dump(data: bytes | str, fmt: str, file: str = "<input>",
               strict: bool = True) -> FabricState:
    """One whole file (bytes or text) of format ``fmt``, as a writer that rewrites it in
    place may have left it.

    In strict mode (the default) a file that does not end with a newline, a table without
    its closing line (``opensm-lfts.dump``, ``ibroute``) or a switch without entries
    (``opensm.mcfdbs``) raises :class:`DumpIncomplete`: the OpenSM lab reads its dumps so,
    and reads a refused file again after OpenSM's next rewrite.
    """
    raw = data.encode() if isinstance(data, str) else data
    if strict and raw and not raw.endswith(b"\n"):
        lines = raw.count(b"\n") + 1
        raise DumpIncomplete("the file ends in the middle of a line", file=file, line=lines,
                             expected="a whole file, ending with a newline")
    return parse_state(decode_lines(raw, file), fmt, file, strict=strict)


OPENSM_DUMPS = {"guid2lid": "guid2lid", "opensm.mcfdbs": "opensm-mcfdbs",
                "opensm-sa.dump": "opensm-sa-dump", "opensm-subnet.lst": "opensm-subnet-lst",
                "opensm-lfts.dump": "opensm-lfts", "opensm.fdbs": "opensm-fdbs"}
"""OpenSM's state files (dump directory and ``OSM_CACHE_DIR``) and their formats."""


OPENSM_FORMATS = frozenset(OPENSM_DUMPS.values())
"""Formats of OpenSM's dumps: OpenSM ends every line of them with a newline."""


def check_whole_dump(raw: bytes, name: str, file: str, line: int | None = None,
                     fmt: str | None = None) -> None:
    """Refuse an OpenSM dump (by its file ``name`` or format ``fmt``) whose last line has no
    newline: OpenSM
    ends every line, so the file was cut short (copied while OpenSM rewrote it, a full
    disk) and its last entry may be incomplete (an MFT entry without ports, an LFT row
    cut in the middle of a number). ``raw``: the file or its tail (then give ``line``,
    the number of its last line)."""
    if name not in OPENSM_DUMPS and fmt not in OPENSM_FORMATS:
        return
    if not raw or raw.endswith((b"\n", b"\r")):
        return
    last = raw.rsplit(b"\n", 1)[-1].decode("utf-8", "replace").strip()
    entry = " (an MFT entry with no ports)" if re.fullmatch(
        r"0x[0-9A-Fa-f]+\s*:?", last) and "opensm-mcfdbs" in (fmt, OPENSM_DUMPS.get(name)) \
        else ""
    raise TopologyError(f"the file ends mid-entry: its last line {last!r}{entry} has no "
                        "newline, so the dump was cut short", file=file,
                        line=line or raw.count(b"\n") + 1,
                        expected=f"a whole {name if name in OPENSM_DUMPS else fmt} as "
                                 "OpenSM writes it, every line ending with a newline")


def format_rank(fmt: str) -> int:
    """Order in which formats are applied: topologies (best first), LIDs, LFTs, MFTs, SA."""
    order = TOPOLOGY_STATE_FORMATS + tuple(READERS)
    return order.index(fmt) if fmt in order else len(order)


def load_state(path: str | Path, fmt: str | None = None) -> FabricState:
    """Read one state file (format detected unless given).

    Raises
    ------
    TopologyError
        Malformed input, and anything unexpected, naming the file (on one line).
    """
    try:
        return _load_state(path, fmt)
    except TopologyError:
        raise
    except Exception as exc:  # noqa: BLE001 - any surprise still names the file, one line
        raise unexpected(exc, str(path)) from exc


def _load_state(path: str | Path, fmt: str | None) -> FabricState:
    file = str(path)
    fmt = fmt or detect_state(path)
    if fmt is None:
        raise TopologyError("not a subnet state file ibviz reads", file=file, line=1,
                            expected=f"one of {', '.join(STATE_FORMATS)}")
    warnings: list[TopologyWarning] = []
    lines = read_lines(path, warnings)
    if Path(file).name in OPENSM_DUMPS or fmt in OPENSM_FORMATS:
        with open(path, "rb") as fh:
            fh.seek(max(0, Path(path).stat().st_size - 4096))
            check_whole_dump(fh.read(), Path(file).name, file, len(lines), fmt)
    state = parse_state(lines, fmt, file)
    state.warnings[:0] = warnings
    return state


def load_state_files(paths: Iterable[str | Path]) -> FabricState:
    """Read several state files into one state; tables are applied in a fixed order
    (topologies, LIDs, LFTs, MFTs, SA, SM) so the result does not depend on argument order."""
    found = []
    for path in paths:
        fmt = detect_state(path)
        if fmt is None:
            raise TopologyError("not a subnet state file ibviz reads", file=str(path), line=1,
                                expected=f"one of {', '.join(STATE_FORMATS)}")
        found.append((format_rank(fmt), str(path), fmt))
    if not found:
        raise TopologyError("no state files given", expected="one or more state files")
    state = FabricState()
    for _, path, fmt in sorted(found):
        state.merge(load_state(path, fmt))
    return state
