"""Build hook: copy the top-level ``resources/`` into the package as ``ibviz/_resources``.

All metadata is in pyproject.toml; this only makes wheels (and so installed copies)
carry the same resources a checkout has. ``ibviz.resources`` finds either.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        src = Path(__file__).resolve().parent / "resources"
        dest = Path(self.build_lib) / "ibviz" / "_resources"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))


setup(cmdclass={"build_py": BuildWithResources})
