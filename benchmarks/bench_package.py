"""Figures of the lab-machine package: build time, sizes, installed start-up time.

Builds the .deb with packaging/build-deb.sh (``--builds N`` times, or takes ``--deb``),
then, as root, installs it with ``dpkg -i``, times ``/usr/bin/ibviz --version`` and the
GUI from start to its offscreen screenshot written (a first paint plus writing a PNG),
and removes the package again on every exit path. Prints medians.

    sudo python benchmarks/bench_package.py [--builds 1] [--runs 10] [--deb FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "packaging" / "build-deb.sh"


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    return time.monotonic() - started, result


def build(out: Path, builds: int) -> tuple[Path, list[float]]:
    times, deb = [], None
    for _ in range(builds):
        seconds, result = timed(["bash", str(BUILD_SCRIPT), "--out", str(out)], timeout=1800)
        if result.returncode != 0:
            sys.exit(f"build failed:\n{result.stderr[-3000:]}")
        times.append(seconds)
        deb = Path(result.stdout.strip().splitlines()[-1])
    return deb, times


def directory_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def ibviz_installed() -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ibviz"],
                            capture_output=True, text=True, check=False).stdout
    return bool(status) and not status.endswith("not-installed")


def start_up(runs: int, work: Path) -> None:
    version = []
    for _ in range(runs):
        seconds, result = timed(["/usr/bin/ibviz", "--version"], timeout=60)
        if result.returncode != 0:
            sys.exit(f"ibviz --version failed: {result.stderr}")
        version.append(seconds)
    print(f"'ibviz --version'        first {version[0] * 1000:6.0f} ms, "
          f"median {statistics.median(version) * 1000:6.0f} ms ({runs} runs)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(work)}
    gui = []
    for run in range(max(3, runs // 2)):
        shot = work / f"shot{run}.png"
        seconds, result = timed(["/usr/bin/ibviz", "gui", "--screenshot", str(shot)],
                                timeout=180, env=env, cwd=work)
        if result.returncode != 0 or not shot.is_file():
            print(f"GUI screenshot failed: {result.stderr.strip()[-300:]}")
            return
        gui.append(seconds)
    print(f"GUI to screenshot (offscreen) first {gui[0]:5.2f} s, "
          f"median {statistics.median(gui):5.2f} s ({len(gui)} runs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=1, help="times to build (median)")
    parser.add_argument("--runs", type=int, default=10, help="start-up runs (median)")
    parser.add_argument("--deb", type=Path, help="measure this .deb instead of building")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ibviz-bench-") as scratch:
        work = Path(scratch)
        if args.deb:
            deb = args.deb
        else:
            deb, times = build(work / "out", args.builds)
            print(f"build (bundle + .deb)   median {statistics.median(times):6.1f} s "
                  f"({len(times)} builds)")
        print(f".deb size               {deb.stat().st_size / 2**20:6.1f} MiB ({deb.name})")
        if os.geteuid() != 0:
            print("not root: installed size and start-up time not measured")
            return 0
        if ibviz_installed():
            sys.exit("an ibviz package is already installed: remove it first")
        try:
            seconds, result = timed(["dpkg", "-i", str(deb)], timeout=600)
            if result.returncode != 0:
                sys.exit(f"dpkg -i failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
            print(f"dpkg -i                 {seconds:6.1f} s")
            print(f"bundle size (/opt/ibviz) {directory_size(Path('/opt/ibviz')) / 2**20:5.1f} MiB")
            start_up(args.runs, work)
        finally:
            if ibviz_installed():
                subprocess.run(["dpkg", "--purge", "ibviz"], capture_output=True, check=False,
                               timeout=600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
