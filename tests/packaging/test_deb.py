"""The .deb for lab machines: built, checked by lintian, installed, run, removed.

Runs only as root on Debian/Ubuntu with the build tools present (tests/setup-and-run.sh
installs them); otherwise every test here is skipped, saying what is missing. The package
is built once per session (packaging/build-deb.sh, about two minutes), installed with
``dpkg -i`` and always removed again, even when an assertion fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO

BUILD_SCRIPT = REPO / "packaging" / "build-deb.sh"
TOOLS = ("dpkg", "dpkg-deb", "dpkg-shlibdeps", "patchelf", "lintian", "strip")
# Qt's xcb platform plugin links these; dpkg-shlibdeps needs them present to build.
XCB_LIBRARIES = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
                 "libxcb-render-util0", "libxkbcommon-x11-0", "libegl1", "libgl1",
                 "libfontconfig1", "libdbus-1-3")
INSTALLED_PATHS = ("/opt/ibviz/ibviz", "/usr/bin/ibviz", "/usr/share/applications/ibviz.desktop",
                   "/usr/share/metainfo/io.github.ibviz.metainfo.xml",
                   "/usr/share/man/man1/ibviz.1.gz", "/usr/share/doc/ibviz/copyright",
                   "/usr/share/doc/ibviz/changelog.Debian.gz",
                   "/usr/share/icons/hicolor/scalable/apps/ibviz.svg",
                   *(f"/usr/share/icons/hicolor/{n}x{n}/apps/ibviz.png" for n in (16, 48, 256)))


def _missing_prerequisites() -> list[str]:
    if os.name != "posix" or os.geteuid() != 0:
        return ["root (dpkg -i)"]
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if importlib.util.find_spec("PyInstaller") is None:
        missing.append("pyinstaller (pip install -e '.[test]')")
    if shutil.which("dpkg-query"):
        status = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n",
                                 *XCB_LIBRARIES], capture_output=True, text=True, check=False)
        installed = {line.split()[0] for line in status.stdout.splitlines()
                     if line.endswith("install ok installed")}
        missing += [pkg for pkg in XCB_LIBRARIES if pkg not in installed]
    return missing


def _ibviz_on_machine() -> str:
    """dpkg's status of the ibviz package when any of it is on this machine, else ''."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ibviz"],
                            capture_output=True, text=True, check=False)
    status = result.stdout.strip()
    return "" if status.endswith("not-installed") else status


_MISSING = _missing_prerequisites()
needs_deb = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)} "
                               "(bash tests/setup-and-run.sh as root installs them)")
pytestmark = pytest.mark.timeout(600)


def _project_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def _png_colours(path: Path, step: int = 7) -> tuple[int, int, int]:
    """Width, height and number of distinct colours (sampled every ``step`` pixels)."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a readable image"
    colours = {image.pixel(x, y) for x in range(0, image.width(), step)
               for y in range(0, image.height(), step)}
    return image.width(), image.height(), len(colours)


def run(command: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False, **kwargs)


def _load_packaging_script(name: str):
    spec = importlib.util.spec_from_file_location(f"ibviz_packaging_{name}",
                                                  REPO / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_man_page_documents_every_subcommand_and_option(tmp_path):
    from ibviz.cli.main import build_parser

    make_manpage = _load_packaging_script("make_manpage")
    page = make_manpage.manpage(build_parser(), "2026-01-01", "9.9")
    assert page.startswith('.TH IBVIZ 1 "2026-01-01" "ibviz 9.9"')
    def subparsers(parser):  # independent of make_manpage.walk, which the page relies on
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in dict.fromkeys(action.choices.values()):
                    yield sub
                    yield from subparsers(sub)

    all_subs = list(subparsers(build_parser()))
    assert {"ibviz gui", "ibviz topo", "ibviz topo info", "ibviz run"} <= {
        s.prog for s in all_subs}
    for sub in all_subs:
        assert f".SS {make_manpage.roff(sub.prog)}" in page
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert make_manpage.roff(option) in page, f"{sub.prog} {option}"
    if shutil.which("man") and shutil.which("groff"):
        (tmp_path / "ibviz.1").write_text(page)
        result = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                      str(tmp_path / "ibviz.1")], env={**os.environ, "MANWIDTH": "80",
                                                       "LC_ALL": "C.UTF-8"})
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_icons_are_rendered_at_every_hicolor_size(qapp, tmp_path):  # qapp: a QApplication
    render_icons = _load_packaging_script("render_icons")
    written = render_icons.render(REPO / "resources" / "icons" / "ibviz.svg", tmp_path)
    assert len(written) == len(render_icons.SIZES)
    for size, path in zip(render_icons.SIZES, written, strict=True):
        assert path == tmp_path / f"{size}x{size}" / "apps" / "ibviz.png"
        width, height, colours = _png_colours(path, step=1)
        assert (width, height) == (size, size)
        assert colours > 3, f"{path} is nearly blank"


def test_desktop_entry_and_metainfo_validate(tmp_path):
    desktop = REPO / "packaging" / "ibviz.desktop"
    entry = dict(line.split("=", 1) for line in desktop.read_text().splitlines()[1:] if line)
    assert entry["Exec"].split()[0] == "ibviz" and entry["Icon"] == "ibviz"
    assert (REPO / "resources" / "icons" / "ibviz.svg").is_file()
    metainfo = tmp_path / "io.github.ibviz.metainfo.xml"
    template = (REPO / "packaging" / "io.github.ibviz.metainfo.xml.in").read_text()
    metainfo.write_text(template.replace("@VERSION@", "1.2.3").replace("@DATE@", "2026-01-01"))
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.parse(metainfo).getroot()
    assert root.findtext("launchable") == desktop.name
    assert root.find("releases/release").get("version") == "1.2.3"
    if shutil.which("desktop-file-validate"):
        result = run(["desktop-file-validate", str(desktop)])
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    if shutil.which("appstreamcli"):
        result = run(["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)])
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def deb(tmp_path_factory) -> Path:
    """The .deb built from this checkout by packaging/build-deb.sh."""
    out = tmp_path_factory.mktemp("deb")
    started = time.monotonic()
    result = run(["bash", str(BUILD_SCRIPT), "--out", str(out)], timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    path = Path(result.stdout.strip().splitlines()[-1])
    print(f"\nbuilt {path.name}: {path.stat().st_size / 2**20:.1f} MiB "
          f"in {time.monotonic() - started:.0f} s")
    return path


@pytest.fixture(scope="session")
def installed(deb: Path) -> Iterator[Path]:
    """The package installed with dpkg -i; removed at the end whatever happened."""
    if _ibviz_on_machine():
        pytest.skip(f"an ibviz package is already on this machine ({_ibviz_on_machine()}): "
                    "remove it first (dpkg --purge ibviz)")
    try:
        result = run(["dpkg", "-i", str(deb)], timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        yield Path("/opt/ibviz")
    finally:
        if _ibviz_on_machine():
            run(["dpkg", "--purge", "ibviz"], timeout=300)


@pytest.mark.slow
@needs_deb
def test_lintian_finds_no_error_and_every_warning_is_explained(deb):
    result = run(["lintian", "--fail-on", "error", str(deb)], timeout=300)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    assert result.returncode == 0 and not errors, result.stdout[-4000:] + result.stderr[-2000:]
    readme = (REPO / "packaging" / "README.md").read_text()
    warnings = {line.split()[2] for line in result.stdout.splitlines() if line.startswith("W:")}
    unexplained = sorted(tag for tag in warnings if f"`{tag}`" not in readme)
    assert not unexplained, f"lintian warnings not explained in packaging/README.md: {unexplained}"


@pytest.mark.slow
@needs_deb
def test_control_fields_and_contents(deb):
    fields = run(["dpkg-deb", "-f", str(deb)]).stdout
    control = dict(re.findall(r"^([\w-]+): (.*)$", fields, flags=re.MULTILINE))
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert control["Package"] == "ibviz"
    assert control["Version"].split("-")[0] == _project_version()
    assert control["Architecture"] == arch
    depends = {d.split()[0] for d in control["Depends"].split(", ")}
    assert {"libxcb-cursor0", "libxkbcommon-x11-0", "libxcb-icccm4", "libegl1",
            "libfontconfig1", "libglib2.0-0", "libc6"} <= depends
    assert set(control["Recommends"].split(", ")) == {"opensm", "ibsim-utils",
                                                      "infiniband-diags"}
    listing = run(["dpkg-deb", "-c", str(deb)]).stdout
    for path in INSTALLED_PATHS:
        assert f" .{path}" in listing, f"{path} is not in the package"
    assert "/usr/bin/ibviz -> /opt/ibviz/ibviz" in listing
    assert "/opt/ibviz/_internal/resources/fabrics/fig10.json" in listing
    assert re.search(r"/opt/ibviz/_internal/ibviz/core/sim/_cpump\.cpython-\S+\.so", listing), \
        "the compiled hop loop is not in the package"
    assert "__pycache__" not in listing


@pytest.mark.slow
@needs_deb
def test_installed_version_and_start_up_time(installed):
    timings = []
    for _ in range(5):
        started = time.monotonic()
        result = run(["/usr/bin/ibviz", "--version"], timeout=60)
        timings.append(time.monotonic() - started)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"ibviz {_project_version()}"
    median = statistics.median(timings)
    print(f"\ninstalled 'ibviz --version': median {median * 1000:.0f} ms")
    assert median < 5.0, f"the installed ibviz takes {median:.1f} s to start"


@pytest.mark.slow
@needs_deb
def test_installed_headless_run(installed, tmp_path):
    result = run(["/usr/bin/ibviz", "run", "fig10", "--json"], timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["scenario"] == "fig10"
    assert isinstance(report["flows"], list) and report["flows"]




def _screenshot(tmp_path: Path, command: list[str], env: dict[str, str]) -> float:
    shot = tmp_path / "ibviz.png"
    started = time.monotonic()
    result = run([*command, "/usr/bin/ibviz", "gui", "--screenshot", str(shot)], timeout=180,
                 cwd=tmp_path, env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, colours = _png_colours(shot)
    assert width >= 640 and height >= 400, (width, height)
    assert colours > 8, f"the screenshot has only {colours} colours: nothing was drawn"
    return elapsed


@pytest.mark.slow
@needs_deb
def test_installed_gui_renders_the_demo_offscreen(installed, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    elapsed = _screenshot(tmp_path, [], env)
    print(f"\ninstalled GUI, start to screenshot written (offscreen): {elapsed:.1f} s")


@pytest.mark.slow
@needs_deb
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (apt-get install xvfb)")
def test_installed_gui_runs_on_x11_with_the_system_libraries(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    _screenshot(tmp_path, ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"],
                {**env, "HOME": str(tmp_path)})


@pytest.mark.slow
@needs_deb
def test_removal_leaves_nothing_behind(installed):
    result = run(["dpkg", "-r", "ibviz"], timeout=300)
    assert result.returncode == 0, result.stderr
    assert not installed.exists(), sorted(str(p) for p in installed.rglob("*"))[:20]
    for path in INSTALLED_PATHS:
        assert not os.path.lexists(path), f"{path} is left after dpkg -r"
    assert _ibviz_on_machine() == ""
