"""Long fuzz run: mutated real files through every topology reader, the state readers
(``load_state``) and the scenario loader, each input in a watched worker process.

    python3 -m tests.fuzz [--inputs 50000] [--minutes 20] [--seed 1] [--out DIR]

Prints counts by outcome (ok / project error / other exception / timeout), per target, and
one line per distinct crash site; every failing input is written to ``--out`` so it can
become a regression example. Exit status 1 when anything other than ok / project error
happened.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "fabrics" / "public"
OUTCOMES = ("ok", "project error", "other exception", "timeout")
WINDOW = 400  # lines kept from a big seed (its first lines and a random window)
MEMORY_LIMIT = 2 << 30


def _state_samples() -> dict[str, tuple[str, str]]:
    """Captured real OpenSM / infiniband-diags output the state tests use."""
    sys.path.insert(0, str(REPO / "tests" / "topology"))
    import test_state_readers as s

    return {"ibroute": (s.IBROUTE, "ibroute"), "opensm-lfts.dump": (s.LFTS_DUMP, "opensm-lfts"),
            "dump_fts-M": (s.DUMP_FTS_M, "ibroute-mcast"),
            "opensm.mcfdbs": (s.MCFDBS, "opensm-mcfdbs"), "opensm.fdbs": (s.FDBS, "opensm-fdbs"),
            "opensm-sa.dump": (s.SA_DUMP, "opensm-sa-dump"),
            "saquery-m": (s.SAQUERY_M, "saquery-mcmember"), "guid2lid": (s.GUID2LID, "guid2lid"),
            "sminfo": (s.SMINFO, "sminfo")}


def seeds() -> list[tuple[str, str, str, str | None]]:
    """(target, name, text, forced format or None) for every seed input."""
    from ibviz.topology import dumps, load, open_fabric
    from ibviz.topology.detect import detect_format
    from ibviz.topology.state import detect_state

    out: list[tuple[str, str, str, str | None]] = []
    for path in sorted(CORPUS.glob("*")):
        if path.name == "SOURCES.md":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found = detect_format(text.splitlines())
        state_fmt = detect_state(path)
        try:
            load(path)
            out.append(("topology", path.name, text, found.format if found else None))
        except Exception:  # noqa: BLE001 - a state file: fuzzed through load_state below
            pass
        if state_fmt:
            out.append(("state", path.name, text, state_fmt))
    for name, (text, fmt) in _state_samples().items():
        out.append(("state", name, text, fmt))
    for spec in ("fig3", "fig6", "fig10", "torus:dims=3x3"):
        fabric = open_fabric(spec)
        for fmt, ext in (("ibsim", "net"), ("json", "json"), ("ibnetdiscover", "topo")):
            name = f"{spec.replace(':', '_')}.{ext}"
            out.append(("topology", name, dumps(fabric, fmt), fmt))
            if fmt != "ibsim":  # topologies are state too (their LIDs)
                out.append(("state", name, dumps(fabric, fmt), fmt))
    for path in sorted((REPO / "resources" / "scenarios").glob("*.yaml")):
        out.append(("scenario", path.name, path.read_text(encoding="utf-8"), None))
    return out


NUMBERS = ["0", "-1", "255", "256", "65535", "65536", "4294967296", "18446744073709551616",
           "1e308", "1e999", "nan", "0x0", "0xffffffffffffffffffff", "99999999999999999999",
           "0X", "-0", "7", "8", "49151", "49152"]
CHARS = list('"[]()#=x0 9-\t:{}\'*&!|>,') + ["\x00", "\u00e9", "\r"]


def _number(rng: random.Random, line: str) -> str:
    spots = [i for i, c in enumerate(line) if c.isdigit()]
    if not spots:
        return line + rng.choice(NUMBERS)
    i = rng.choice(spots)
    j = i
    while j < len(line) and line[j].isalnum():
        j += 1
    while i > 0 and line[i - 1].isalnum():
        i -= 1
    return line[:i] + rng.choice(NUMBERS) + line[j:]


def _yaml_bomb(rng: random.Random) -> list[str]:
    width = rng.randint(2, 9)
    lines = ["x0: &a0 [" + ", ".join(["z"] * width) + "]"]
    for k in range(1, rng.randint(2, 12)):
        lines.append(f"x{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return lines


def mutate(rng: random.Random, text: str, target: str) -> str:
    lines = text.splitlines()
    if len(lines) > WINDOW:
        start = rng.randrange(len(lines) - WINDOW // 2)
        lines = lines[:30] + lines[start:start + WINDOW]
    for _ in range(rng.randint(1, 6)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        line = lines[i]
        op = rng.choice(("drop", "dup", "char", "cut", "swap", "junk", "number", "number",
                         "special"))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines[i:i] = [line] * rng.choice((1, 1, 5, 300))
        elif op == "char" and line:
            j = rng.randrange(len(line))
            lines[i] = line[:j] + rng.choice(CHARS) + line[j + 1:]
        elif op == "cut":
            lines[i] = line[:rng.randrange(len(line) + 1)]
        elif op == "swap":
            k = rng.randrange(len(lines))
            lines[i], lines[k] = lines[k], lines[i]
        elif op == "junk":
            lines.insert(i, "".join(rng.choice(CHARS + ["a", "1"]) for _ in range(30)))
        elif op == "number":
            lines[i] = _number(rng, line)
        elif target == "scenario":
            lines[i:i] = _yaml_bomb(rng) if rng.random() < 0.5 else [
                f"{rng.choice(['duration_us', 'seed'])}: {rng.choice(NUMBERS)}"]
        else:
            lines.insert(i, rng.choice((f'include "{rng.choice(["/dev/zero", "../x", "a.net", "/etc/hostname", "fuzz.in"])}"',  # noqa: E501
                                        "extspeed=2", "caguid=0x10", "do 99999 {",
                                        "module x")))
    return "\n".join(lines)


def _run_one(target: str, path: str, fmt: str | None) -> str:
    from ibviz.core.scenario import ScenarioError
    from ibviz.topology import TopologyError, load
    from ibviz.topology.scenarios import load_scenario_file
    from ibviz.topology.state import load_state

    try:
        if target == "topology":
            load(path, fmt)
        elif target == "state":
            load_state(path, fmt)
        else:
            load_scenario_file(path)
    except (TopologyError, ScenarioError) as exc:
        cause = exc.__cause__
        if cause is not None and "cannot read this file (" in str(exc):  # the load wrapper
            tb = traceback.extract_tb(cause.__traceback__)[-1]
            return (f"other exception:{type(cause).__name__} at {tb.filename}:{tb.lineno} "
                    "(wrapped by load)")
        if path not in str(exc) or "\n" in str(exc):
            gist = re.sub(r"\d+", "N", str(exc).replace(path, "FILE"))[:90].replace("\n", " ")
            return f"other exception:error not naming the file on one line: {gist}"
        return "project error"
    except BaseException as exc:  # noqa: BLE001 - anything else is what we hunt
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return f"other exception:{type(exc).__name__} at {tb.filename}:{tb.lineno}"
    return "ok"


def _worker(conn, workdir: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    while True:
        job = conn.recv()
        if job is None:
            return
        target, name, text, fmt = job
        path = Path(workdir) / ("fuzz.in." + name.rsplit(".", 1)[-1])
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        conn.send(_run_one(target, str(path), fmt))


class Runner:
    """One worker process; restarted after a timeout."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.proc = None
        self._start()

    def _start(self) -> None:
        self.conn, child = mp.Pipe()
        self.proc = mp.Process(target=_worker, args=(child, self.workdir), daemon=True)
        self.proc.start()

    def run(self, job, timeout: float) -> str:
        self.conn.send(job)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
            self.proc.join()
            self._start()
            return f"other exception:worker died (exit {self.proc.exitcode})"
        self.proc.kill()
        self.proc.join()
        self._start()
        return "timeout"

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=50_000)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    ap.add_argument("--out", default="fuzz-failures")
    args = ap.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    pool = seeds()
    out = Path(args.out)
    counts: Counter[str] = Counter()
    per_target: Counter[tuple[str, str]] = Counter()
    sites: Counter[str] = Counter()
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        runner = Runner(workdir)
        n = 0
        for n in range(1, args.inputs + 1):
            if time.monotonic() - start > args.minutes * 60:
                n -= 1
                break
            target, name, text, fmt = rng.choice(pool)
            forced = fmt if rng.random() < 0.5 else None
            mutated = mutate(rng, text, target)
            result = runner.run((target, name, mutated, forced), args.timeout)
            kind = result.split(":", 1)[0]
            counts[kind] += 1
            per_target[(target, kind)] += 1
            if kind in ("other exception", "timeout"):
                sites[result] += 1
                out.mkdir(parents=True, exist_ok=True)
                tag = "timeout" if kind == "timeout" else "crash"
                (out / f"{n:06d}-{tag}-{target}-{forced or 'detect'}-{name}").write_text(
                    mutated, encoding="utf-8", errors="surrogatepass")
            if n % 5000 == 0:
                print(f"... {n} inputs, {time.monotonic() - start:.0f} s, {dict(counts)}",
                      flush=True)
        runner.close()
    elapsed = time.monotonic() - start
    print(f"{n} inputs in {elapsed:.0f} s ({len(pool)} seeds)")
    for kind in OUTCOMES:
        by = ", ".join(f"{t} {per_target[(t, kind)]}" for t in ("topology", "state", "scenario"))
        print(f"  {kind:16} {counts[kind]:7}   ({by})")
    for site, k in sites.most_common():
        print(f"  {k:6} x {site}")
    return 0 if counts["other exception"] + counts["timeout"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
