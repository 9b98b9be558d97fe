"""Errors and warnings raised while reading topology files.

A :class:`TopologyError` always names the file, the line (and column where it
helps) and what was expected there, so ``ibviz topo info`` can print it on one line.
"""

from __future__ import annotations

from dataclasses import dataclass


class TopologyError(ValueError):
    """Input that cannot be read as the fabric format it claims to be.

    Parameters
    ----------
    message:
        What is wrong.
    file, line, column:
        Where (1-based line and column; ``None`` when not applicable).
    expected:
        What the reader expected to find there.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, expected: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.expected = expected
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


def unexpected(exc: Exception, file: str) -> TopologyError:
    """The error for anything a reader did not foresee: it names the file and what went
    wrong, on one line (readers wrap their work in this; see ``load`` and ``load_state``)."""
    if isinstance(exc, TopologyError):
        return exc
    what = "ran out of memory" if isinstance(exc, MemoryError) else \
        f"{type(exc).__name__}: {exc}"
    what = " ".join(what.split())[:200]
    return TopologyError(f"cannot read this file ({what})", file=file,
                         expected="a well-formed fabric or state file; if it is one, "
                                  "please report this")


class NotATopologyError(TopologyError):
    """A file ibviz recognises, but which holds fabric *state*, not a topology."""

    def __init__(self, kind: str, *, file: str | None, line: int | None, hint: str) -> None:
        self.kind = kind
        super().__init__(
            f"this is {kind}, not a fabric topology; {hint}",
            file=file, line=line,
            expected="a topology: ibnetdiscover (plain, -g, ibdiagnet), ibnetdiscover -p, "
                     "ibsim net, opensm-subnet.lst / ibdiagnet .lst or ibviz JSON")


@dataclass(frozen=True, slots=True)
class TopologyWarning:
    """Something odd but recoverable that the loader kept (never silently dropped)."""

    message: str
    file: str | None = None
    line: int | None = None
    kind: str = "warning"

    def __str__(self) -> str:
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}: {self.message}"
        return self.message

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "file": self.file,
                "line": self.line}
