"""``ibviz topo`` as a user runs it: a real subprocess, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO, corpus_file


def ibviz(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "ibviz", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_version():
    from ibviz import __version__

    out = ibviz("--version", check=True).stdout
    assert out.strip() == f"ibviz {__version__}"


def test_info_json_fields_on_a_real_file():
    path = corpus_file("ibnetdiscover-man-voltaire-sdr-lmc1.topo")
    data = json.loads(ibviz("topo", "info", str(path), "--json", check=True).stdout)
    assert {k: data[k] for k in ("format", "switches", "cas", "routers", "links",
                                 "ports_connected")} == {
        "format": "ibnetdiscover", "switches": 2, "cas": 4, "routers": 0, "links": 7,
        "ports_connected": 14}
    assert data["lids"]["assigned"] == 7 and data["lids"]["duplicates"] == []
    assert data["lids"]["lmc"] == {"0": 2, "1": 5}
    assert data["speeds"] == {"1xSDR": 2, "4xSDR": 5}
    assert data["checks"]["degraded_links"] == 2
    assert any("disagree on its width/speed" in w for w in data["warnings"])


def test_info_text_is_a_short_human_summary():
    path = corpus_file("hyungkwang-hdr-quantum-lid0-loopback-crlf.txt")
    out = ibviz("topo", "info", str(path), check=True).stdout
    assert "60 switches, 2 CAs, 0 routers" in out
    assert "4xHDR x805" in out and "4xSDR x2" in out
    assert "degraded links: 2" in out and "reported with LID 0" in out


def test_info_reports_duplicate_lids(tmp_path):
    topo = tmp_path / "dup.topo"
    topo.write_text(
        'switchguid=0x10(10)\nSwitch\t4 "S-0000000000000010"\t\t# "sw" base port 0 lid 3 lmc 0\n'
        '[1]\t"H-0000000000000020"[1](21) \t\t# "h" lid 3 4xHDR\n\ncaguid=0x20\n'
        'Ca\t1 "H-0000000000000020"\t\t# "h"\n'
        '[1](21) \t"S-0000000000000010"[1]\t\t# lid 3 lmc 0 "sw" lid 3 4xHDR\n')
    data = json.loads(ibviz("topo", "info", str(topo), "--json", check=True).stdout)
    assert data["lids"]["duplicates"] == [{"lid": 3, "ports": ["sw", "h[1]"]}]
    assert "LID 3 used by sw, h[1]" in ibviz("topo", "info", str(topo)).stdout


def test_bad_input_is_one_line_nonzero_no_traceback(tmp_path):
    bad = tmp_path / "bad.topo"
    bad.write_text('switchguid=0x10(10)\nSwitch\t4 "S-0000000000000010"\n[1 "x"\n')
    proc = ibviz("topo", "info", str(bad))
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"ibviz: error: {bad}:3:1: malformed port line")


def test_state_dump_refused_with_exit_code():
    proc = ibviz("topo", "info", str(corpus_file("ukharon-ibroute-M-msb7700.excerpt.txt")))
    assert proc.returncode == 1 and "ibroute -M output" in proc.stderr


@pytest.mark.parametrize("to,needle", [("ibnetdiscover", 'Switch\t24 "S-005442ba00003080"'),
                                       ("ibsim", "w=1 s=1"), ("json", '"format": "ibviz-fabric"'),
                                       ("dot", "graph ")])
def test_convert_to_every_format_and_back(tmp_path, to, needle):
    src = corpus_file("ibnetdiscover-man-voltaire-sdr-lmc1.topo")
    out = tmp_path / f"out.{to}"
    proc = ibviz("topo", "convert", str(src), str(out), "--to", to, check=True)
    assert needle in out.read_text() and "wrote" in proc.stderr
    if to != "dot":
        again = json.loads(ibviz("topo", "info", str(out), "--json", check=True).stdout)
        assert (again["switches"], again["cas"], again["links"]) == (2, 4, 7)


def test_convert_to_stdout_and_format_from_extension(tmp_path):
    src = corpus_file("ibsim-net.net")
    proc = ibviz("topo", "convert", str(src), "-", check=True)
    assert proc.stdout.startswith("#\n# Topology file: generated on")
    ibviz("topo", "convert", str(src), str(tmp_path / "x.json"), check=True)
    assert json.loads((tmp_path / "x.json").read_text())["version"] == 1


def test_no_display_is_one_clear_line_not_a_qt_abort():
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "ibviz"], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "xvfb-run" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_internal_errors_are_one_line_unless_debugging(monkeypatch, capsys):
    from ibviz.cli import main as cli_main
    from ibviz.cli import topo

    def boom(spec, fmt, progress=None):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(topo, "open_fabric", boom)
    monkeypatch.delenv("IBVIZ_DEBUG", raising=False)
    assert cli_main.main(["topo", "info", "fig10"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError: simulated bug" in err
    monkeypatch.setenv("IBVIZ_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli_main.main(["topo", "info", "fig10"])


def test_progress_bar_draws_on_a_terminal_and_clears():
    import io

    from ibviz.cli.progress import ProgressBar

    out = io.StringIO()
    bar = ProgressBar("reading x", stream=out, width=10, force=True)
    bar(5, 10)
    bar(10, 10)
    bar.close()
    text = out.getvalue()
    assert "reading x [#####-----]  50.0%" in text and "[##########] 100.0%" in text
    assert text.endswith("\r")
    silent = io.StringIO()
    ProgressBar("x", stream=silent)(1, 2)  # not a TTY: nothing drawn
    assert silent.getvalue() == ""


def test_large_reads_report_progress(tmp_path):
    from ibviz.topology import dumps, load
    from ibviz.topology.generators import fat_tree

    path = tmp_path / "big.topo"
    path.write_text(dumps(fat_tree(8, 3), "ibnetdiscover"))
    calls = []
    load(path, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) >= 2 and calls[-1][0] == calls[-1][1]
    assert all(a <= b for (a, _), (b, _) in zip(calls, calls[1:], strict=False))


def test_json_round_trips_are_a_fixed_point_for_warnings(tmp_path):
    src = corpus_file("ibnetdiscover-man-voltaire-sdr-lmc1.topo")
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    ibviz("topo", "convert", str(src), str(a), check=True)
    ibviz("topo", "convert", str(a), str(b), check=True)
    ibviz("topo", "convert", str(b), str(c), check=True)
    warnings = [json.loads(p.read_text())["warnings"] for p in (a, b, c)]
    assert warnings[0] == warnings[1] == warnings[2] and len(warnings[0]) == 4


def test_unwritable_output_is_a_one_line_error(tmp_path):
    proc = ibviz("topo", "convert", "fig8", str(tmp_path / "no" / "such" / "x.json"))
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith("x.json: cannot write file: No such file or directory")
