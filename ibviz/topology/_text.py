"""Reading text files the way operators really have them.

Handles a UTF-8 byte-order mark, CRLF line endings, a missing final newline,
bytes that are not UTF-8 (kept as U+FFFD with a warning) and Markdown quoting
(``> `` at the start of every line, as in copies pasted from a README).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ibviz.topology.errors import TopologyError, TopologyWarning

if TYPE_CHECKING:
    from ibviz.core.fabric import Fabric


MAX_FILE_BYTES = 1 << 30
"""Larger input is refused (a 100,000-node ibnetdiscover file is about 100 MB)."""


def read_lines(path: str | Path, warnings: list[TopologyWarning] | None = None) -> list[str]:
    """Lines of a text file without line terminators (``\\n``, ``\\r\\n`` or ``\\r``)."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:  # bounded: /dev/zero or a runaway pipe ends too
            chunks, total = [], 0
            while chunk := fh.read(1 << 24):
                total += len(chunk)
                if total > MAX_FILE_BYTES:
                    raise TopologyError(f"larger than {MAX_FILE_BYTES >> 20} MiB",
                                        file=str(p), expected="a fabric or state file")
                chunks.append(chunk)
    except OSError as exc:
        raise TopologyError(f"cannot read file: {exc.strerror or exc}", file=str(p)) from exc
    return decode_lines(b"".join(chunks), str(p), warnings)


def decode_lines(data: bytes, name: str = "<input>",
                 warnings: list[TopologyWarning] | None = None) -> list[str]:
    if b"\x00" in data[:4096]:
        raise TopologyError("binary data (NUL bytes), not a text file", file=name, line=1,
                            expected="a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        if warnings is not None:
            line = data[: exc.start].count(b"\n") + 1
            warnings.append(TopologyWarning(
                "bytes that are not UTF-8 were replaced by U+FFFD", name, line, "encoding"))
    # Only \n, \r\n and \r end a line: str.splitlines() would also split on form feeds,
    # U+2028 and other characters a free-form NodeDescription may contain.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def strip_markdown_quote(lines: list[str]) -> list[str]:
    """Remove a ``> `` prefix when every non-blank line carries one."""
    body = [ln for ln in lines if ln.strip()]
    if body and all(ln.startswith(">") for ln in body):
        return [ln[2:] if ln.startswith("> ") else ln[1:] for ln in lines]
    return lines


def start_reading(path: str | Path, fmt: str, lines: list[str] | None
                  ) -> tuple[Fabric, list[str], str]:
    """The common start of every reader: an empty fabric named after the file (source and
    format set) and the file's lines, read here unless the caller already has them."""
    from ibviz.core.fabric import Fabric

    file = str(path)
    fabric = Fabric(Path(file).name)
    fabric.source, fabric.source_format = file, fmt
    if lines is None:
        lines = read_lines(path, fabric.warnings)
    return fabric, lines, file
