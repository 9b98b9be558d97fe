"""Find the files under ``resources/`` (icons, sample fabrics, scenarios, schemas).

They live at the top of a checkout, are copied into the package as ``ibviz/_resources``
when a wheel is built (see ``setup.py``), and sit in ``<bundle>/resources`` in the
PyInstaller bundle. ``IBVIZ_RESOURCES`` overrides all of these.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("IBVIZ_RESOURCES"):
        found.append(Path(os.environ["IBVIZ_RESOURCES"]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(_PACKAGE / "_resources")
    found.append(_PACKAGE.parent / "resources")
    return found


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """The resources directory in use (raises FileNotFoundError naming where it looked)."""
    for path in _candidates():
        if (path / "schema").is_dir():
            return path
    places = ", ".join(str(p) for p in _candidates())
    raise FileNotFoundError(f"ibviz resources not found (looked in {places}); "
                            "reinstall ibviz or set IBVIZ_RESOURCES")


def resource_path(*parts: str) -> Path:
    """Path of a resource file, e.g. ``resource_path("schema", "fabric-v1.schema.json")``."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"ibviz resource {'/'.join(parts)} not found in "
                                f"{resources_dir()}")
    return path
