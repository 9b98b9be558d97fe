"""Shared fixtures: the public fabric corpus in ../shared and small helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# hypothesis profiles. ``ci``: the same examples on every run and every machine (no example
# database, no deadline on a shared CPU); tests keep their own max_examples. It is the
# default whenever CI=true, and .ci/run / tests/setup-and-run.sh select it explicitly.
# ``fuzz``: long randomised runs (``pytest --hypothesis-profile=fuzz tests/topology``);
# tests written with :func:`examples` then draw 50x their usual count.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", derandomize=False, deadline=None, max_examples=20_000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "default"))
FUZZ_FACTOR = 50


def examples(n: int) -> int:
    """``max_examples`` for a test that draws ``n`` normally and 50x under ``fuzz``."""
    return n * FUZZ_FACTOR if settings.default.max_examples >= 10_000 else n

REPO = Path(__file__).resolve().parents[1]
SHARED_PUBLIC = REPO.parent / "shared" / "fabrics" / "public"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Directory of real, public fabric files (../shared/fabrics/public)."""
    if not SHARED_PUBLIC.is_dir():
        pytest.skip(f"shared corpus not found at {SHARED_PUBLIC} (clone with shared/ beside it)")
    return SHARED_PUBLIC


def corpus_file(name: str) -> Path:
    path = SHARED_PUBLIC / name
    if not path.is_file():
        pytest.skip(f"shared corpus file {name} not found at {SHARED_PUBLIC}")
    return path


def write_file(directory: Path, text: str | bytes, name: str = "fabric.topo") -> Path:
    """Write text (as bytes, so CRLF/BOM survive) to ``directory/name``; return the path."""
    path = directory / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.fixture
def write(tmp_path: Path):
    """``write(text, name)``: :func:`write_file` into this test's tmp_path."""
    return lambda text, name="fabric.topo": write_file(tmp_path, text, name)


# tests/gui/conftest.py is imported as ``conftest`` too (prepend import mode, no packages):
# under this second name it re-exports the helpers above, so ``from conftest import REPO``
# finds them whichever of the two ``sys.modules["conftest"]`` is.
sys.modules.setdefault("ibviz_tests_conftest", sys.modules[__name__])


@pytest.fixture(scope="session")
def lab_snapshots(tmp_path_factory) -> tuple[Path, Path]:
    """Two directories of the real OpenSM's own dumps (``tests/lab_snapshots.py``): before
    and after node0001 fails. Made once per run; a test copies one before changing it."""
    from lab_snapshots import ToolsMissing, make_snapshots

    try:
        return make_snapshots(tmp_path_factory.mktemp("lab-snapshots"))
    except ToolsMissing as exc:
        pytest.skip(f"real InfiniBand tools not installed: {exc}")
