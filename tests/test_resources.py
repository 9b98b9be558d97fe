"""Resources are found from a checkout and from an installed wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import venv

import pytest

from conftest import REPO
from ibviz.resources import resource_path


def test_found_in_a_checkout():
    path = resource_path("schema", "fabric-v1.schema.json")
    assert path == REPO / "resources" / "schema" / "fabric-v1.schema.json"
    assert json.loads(path.read_text())["$id"] == "ibviz-fabric-v1"
    with pytest.raises(FileNotFoundError, match="not found"):
        resource_path("schema", "no-such-file.json")


@pytest.mark.slow
def test_found_from_an_installed_wheel(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(wheels.glob("ibviz-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index",
                           "--target", str(tmp_path / "site"), str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-3000:]
    probe = ("from ibviz.resources import resource_path; import ibviz, sys; "
             "print(resource_path('schema', 'fabric-v1.schema.json')); print(ibviz.__file__)")
    run = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert run.returncode == 0, run.stderr
    schema, package = run.stdout.split()
    assert schema.startswith(str(tmp_path / "site")) and "_resources" in schema
    assert package.startswith(str(tmp_path / "site"))


@pytest.mark.parametrize("name", ["fig2", "fig3", "fig5", "fig6", "fig8", "fig10"])
def test_sample_fabrics_match_the_builtins(name):
    from ibviz.core.diff import diff_fabrics
    from ibviz.topology import load
    from ibviz.topology.builtin import load_builtin

    sample = load(resource_path("fabrics", f"{name}.json"))
    d = diff_fabrics(load_builtin(name), sample)
    assert d.is_empty, f"resources/fabrics/{name}.json is stale: {d.summary()}"
    assert sample.subnets == load_builtin(name).subnets


def test_sample_ibnetdiscover_file_matches_fig10():
    from ibviz.core.diff import diff_fabrics
    from ibviz.topology import load
    from ibviz.topology.builtin import load_builtin

    d = diff_fabrics(load_builtin("fig10"), load(resource_path("fabrics", "fig10.topo")))
    # ibnetdiscover cannot carry subnet names or HCA/TCA; fig10 has neither difference
    assert d.is_empty, d.summary()
