"""Build hook: copy the top-level ``resources/`` into the package as ``ibviz/_resources``;
build the packet simulator's compiled hop loop.

All metadata is in pyproject.toml; this only makes wheels (and so installed copies)
carry the same resources a checkout has. ``ibviz.resources`` finds either.
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        src = Path(__file__).resolve().parent / "resources"
        dest = Path(self.build_lib) / "ibviz" / "_resources"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))


# The packet simulator's hop loop, compiled (ibviz/core/sim/pump_loop.py is the same loop
# in Python, used where this could not be built). Optional: without a C compiler and the
# Python headers, pip still installs ibviz, and the simulator runs the Python loop.
# -ffp-contract=off: no fused multiply-add, so hop times round exactly as in Python.
CPUMP = Extension("ibviz.core.sim._cpump", ["ibviz/core/sim/_cpump.c"], optional=True,
                  depends=[f"ibviz/core/sim/_cpump_{part}.h"
                           for part in ("util", "arrivals", "hops", "hoptrim", "receive", "fans", "heap", "engine")],
                  extra_compile_args=["-O2", "-ffp-contract=off"])

setup(cmdclass={"build_py": BuildWithResources}, ext_modules=[CPUMP])
