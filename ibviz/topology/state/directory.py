"""One directory reader for every command that reads a dump directory (``ibviz attach``;
later ``check``, ``diff`` and ``whatif``).

Every file whose format is recognised is read, gzipped ones too (``opensm-lfts.dump.gz``:
the name without ``.gz`` gives the hints); every other file (a ticket note in JSON, a
tool's text output) is skipped with a one-line note instead of refusing the directory.
Where two files give the same table (``opensm.mcfdbs`` and ``ibroute -M`` output for one
switch's MFT, ``opensm-lfts.dump`` and ``opensm.fdbs`` for an LFT) and disagree, each
difference is reported in :attr:`DirectoryRead.disagreements`, not silently resolved.
"""

from __future__ import annotations

import gzip
import io
import os
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ibviz.topology._text import decode_lines
from ibviz.topology.errors import TopologyError, TopologyWarning
from ibviz.topology.state._fast_lfts import FAST_FORMATS, parse_fast
from ibviz.topology.state.load import check_whole_dump, detect_state, format_rank, parse_state
from ibviz.topology.state.model import NO_PORT, FabricState

__all__ = ["DirectoryRead", "MAX_UNPACKED", "load_state_dir", "read_settled",
           "read_state_dir", "read_state_files"]

MAX_UNPACKED = 1 << 30
"""Bytes a ``.gz`` file may unpack to (a bigger one is skipped with a note)."""
_SHOWN = 5
PROGRESS_BYTES = 1 << 25
"""Files of fewer bytes in all are read without reporting progress."""
PERMILLE = 1000
_HEAD_BYTES = 1 << 18
"""Bytes of a file looked at to recognise OpenSM's big LFT dumps."""


@dataclass
class DirectoryRead:
    """What a directory (or a list of files) held."""

    state: FabricState
    read: list[tuple[str, str]] = field(default_factory=list)
    """(file, format) of every file read, in the order applied."""
    skipped: list[str] = field(default_factory=list)
    """One line per file not read: its name and why."""
    disagreements: list[str] = field(default_factory=list)
    """One line per table two files give differently."""


def read_settled(path: Path, timeout: float = 5.0, interval: float = 0.02) -> bytes:
    """The bytes of a file another program may be rewriting in place: read until two reads
    ``interval`` apart agree and each got all the bytes the file then had.

    Raises
    ------
    TopologyError
        The file kept changing for ``timeout`` seconds (or cannot be read).
    """
    deadline = time.monotonic() + timeout
    previous: bytes | None = None
    while True:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
                whole = len(raw) == os.fstat(fh.fileno()).st_size
        except FileNotFoundError:
            raw, whole = b"", True
        except OSError as exc:
            raise TopologyError(f"cannot read the file: {exc.strerror}", file=str(path)) \
                from None
        if whole and raw == previous:
            return raw
        if time.monotonic() > deadline:
            raise TopologyError(f"the file kept changing for {timeout} s", file=str(path),
                                expected="a file no program is rewriting")
        previous = raw if whole else None
        time.sleep(interval)


def _unpack(raw: bytes, path: Path) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
        data = fh.read(MAX_UNPACKED + 1)
    if len(data) > MAX_UNPACKED:
        raise TopologyError(f"unpacks to more than {MAX_UNPACKED} bytes", file=str(path))
    return data


def _fast_one(path: Path, settle: bool, progress: Callable[[int], None] | None
              ) -> tuple[str, FabricState] | None:
    """An ``opensm-lfts.dump`` or ``opensm.fdbs`` in OpenSM's plain layout, streamed from
    the file (see :mod:`~ibviz.topology.state._fast_lfts`); None for any other file, or
    (``settle``) when the file changed while it was read: :func:`_one` reads it then."""
    if path.name.endswith(".gz"):
        return None
    try:
        with open(path, "rb") as fh:
            before = os.fstat(fh.fileno())
            head = fh.read(_HEAD_BYTES)
            cut = head.rfind(b"\n") + 1
            fmt = detect_state(decode_lines(head[:cut] or head), path.name)
            if fmt not in FAST_FORMATS:
                return None
            fh.seek(0)
            state = parse_fast(fh, fmt, str(path), progress)
        after = os.stat(path)
    except (OSError, TopologyError):
        return None
    if state is None or (settle and _stamp(before) != _stamp(after)):
        return None
    return fmt, state


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _one(path: Path, settle: bool, progress: Callable[[int], None] | None = None
         ) -> tuple[str, FabricState] | str:
    """The format and state of ``path``, or the one-line reason it is skipped;
    ``progress`` gets the bytes read so far, where a big dump is streamed."""
    fast = _fast_one(path, settle, progress)
    if fast is not None:
        return fast
    raw = read_settled(path) if settle else path.read_bytes()
    name = path.name
    if name.endswith(".gz"):
        try:
            raw = _unpack(raw, path)
        except (OSError, EOFError, zlib.error) as exc:
            return f"{name}: not a readable gzip file ({exc})"
        except TopologyError as exc:
            return f"{name}: {exc.message}"
        name = name[:-3]
    try:
        lines = decode_lines(raw, str(path))
    except TopologyError:
        return f"{name}: binary data, not a text file"
    fmt = detect_state(lines, name)
    if fmt is None:
        return f"{path.name}: not a subnet state or topology file"
    check_whole_dump(raw, name, str(path), fmt=fmt)
    try:
        return fmt, parse_state(lines, fmt, str(path))
    except TopologyError as exc:
        if fmt == "json":  # any JSON looks like ibviz's own format at first
            return f"{path.name}: JSON, but not an ibviz fabric document"
        raise exc


def read_state_files(paths: Iterable[Path], settle: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> DirectoryRead:
    """Read ``paths`` (recognised ones; others noted) into one state, applied in a fixed
    order (topologies, LIDs, LFTs, MFTs, SA, SM); ``settle``: files may be being
    rewritten (see :func:`read_settled`); ``progress`` gets (thousandths of the bytes
    read, 1000), where the files hold :data:`PROGRESS_BYTES` or more.

    Raises
    ------
    TopologyError
        A recognised file is malformed (the error names it and the line), or no file
        holds subnet state.
    """
    found: list[tuple[int, str, str, FabricState]] = []
    out = DirectoryRead(FabricState())
    files = sorted(Path(p) for p in paths)
    sizes = [_size(p) for p in files]
    total = sum(sizes)
    if total < PROGRESS_BYTES:
        progress = None  # read in well under a second: no bar, no dialog
    for n, path in enumerate(files):
        done = sum(sizes[:n])
        got = _one(path, settle, _offset(progress, done, total))
        if progress is not None:
            progress(*_permille(done + sizes[n], total))
        if isinstance(got, str):
            out.skipped.append(got)
        else:
            found.append((format_rank(got[0]), str(path), got[0], got[1]))
    if not found:
        raise TopologyError("no subnet state files",
                            file=", ".join(sorted({str(Path(p).parent) for p in paths})) or None,
                            expected="OpenSM dumps, ibroute/saquery output, ibnetdiscover ...")
    found.sort(key=lambda f: (f[0], f[1]))
    out.disagreements = _disagreements([(file, st) for _, file, _, st in found])
    for _, file, fmt, st in found:
        out.state.merge(st)
        out.read.append((file, fmt))
    for note in out.skipped:
        out.state.warnings.append(TopologyWarning(f"skipped {note}", None, None, "skipped"))
    for note in out.disagreements:
        out.state.warnings.append(TopologyWarning(note, None, None, "conflict"))
    return out


def _offset(progress: Callable[[int, int], None] | None, done: int, total: int
            ) -> Callable[[int], None] | None:
    """Bytes read in one file -> ``progress`` of all files."""
    if progress is None:
        return None
    return lambda k: progress(*_permille(done + k, total))


def _permille(done: int, total: int) -> tuple[int, int]:
    """(done, total) bytes as thousandths: a Qt progress bar holds 32-bit ints only."""
    return min(PERMILLE, done * PERMILLE // max(total, 1)), PERMILLE


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_state_dir(directory: str | Path, settle: bool = False) -> DirectoryRead:
    """Every file in ``directory`` (not recursive, hidden files left out)."""
    root = Path(directory)
    if not root.is_dir():
        raise TopologyError("not a directory", file=str(root), expected="a directory")
    files = [p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise TopologyError("no subnet state files: the directory is empty", file=str(root),
                            expected="OpenSM dumps, ibroute/saquery output, ibnetdiscover ...")
    return read_state_files(files, settle)


def load_state_dir(directory: str | Path) -> FabricState:
    """Every state file in ``directory`` (see :func:`read_state_dir`): other files are
    skipped with a warning naming them, disagreeing tables are warnings too."""
    return read_state_dir(directory).state


def _disagreements(states: list[tuple[str, FabricState]]) -> list[str]:
    """Every switch whose MFT or LFT two files give differently (one line each)."""
    out: list[str] = []
    for i, (file_a, a) in enumerate(states):
        for file_b, b in states[i + 1:]:
            name_a, name_b = Path(file_a).name, Path(file_b).name
            for sw in sorted(set(a.mfts) & set(b.mfts)):
                ta, tb = a.mfts[sw], b.mfts[sw]
                diff = sorted(m for m in set(ta) | set(tb) if ta.get(m) != tb.get(m))
                if diff:
                    shown = "; ".join(f"{m:#06x}: {sorted(ta.get(m, ()))} in {name_a}, "
                                      f"{sorted(tb.get(m, ()))} in {name_b}"
                                      for m in diff[:_SHOWN])
                    more = f" and {len(diff) - _SHOWN} more" if len(diff) > _SHOWN else ""
                    out.append(f"MFT of switch {sw:#018x} differs: {shown}{more}")
            for sw in sorted(set(a.lfts) & set(b.lfts)):
                lids = _lft_diff(a.lfts[sw], b.lfts[sw])
                if len(lids):
                    shown = ", ".join(f"{int(lid):#06x}" for lid in lids[:_SHOWN])
                    count = f"{len(lids)} LID" + ("" if len(lids) == 1 else "s")
                    out.append(f"LFT of switch {sw:#018x} differs between {name_a} and "
                               f"{name_b} for {count}: {shown}")
    return out


def _lft_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    size = max(len(a), len(b))
    pa, pb = np.full(size, NO_PORT, np.uint8), np.full(size, NO_PORT, np.uint8)
    pa[: len(a)], pb[: len(b)] = a, b
    return np.nonzero(pa != pb)[0]
