"""``ibviz check`` on real OpenSM dumps: healthy as OpenSM wrote them, and each kind of
problem found and named precisely in a broken copy.

Fabric: leaf-spine:hcas=32,hcas_per_leaf=8,spines=2 (leaf01-04, spine01-02, node0001-0032)
under ibsim with the real OpenSM; ff12:1::1 (MLID 0xc001) joined by node0001, node0009,
node0017 and node0025 (one per leaf), ff12:1::2 (0xc002) by node0002 and node0003.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest

from ibviz.cli.check import add_parser
from ibviz.cli.diff import add_parser as diff_add_parser

pytestmark = pytest.mark.realtools

LEAF01, LEAF02, SPINE01, SPINE02 = (f"Switch 0x0002c9040000000{i}" for i in (0, 1, 4, 5))


@pytest.fixture(scope="module")
def healthy(lab_snapshots) -> Path:
    return lab_snapshots[0]


def check_cli(*args: str, capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["check", *args])
    code = parsed.func(parsed)
    return code, capsys.readouterr().out


def broken(healthy: Path, tmp_path: Path, edits: dict[str, callable]) -> Path:
    """A copy of the healthy dumps with ``edits[file](text)`` applied (None deletes)."""
    copy = tmp_path / "dumps"
    shutil.copytree(healthy, copy)
    for name, edit in edits.items():
        if edit is None:
            (copy / name).unlink()
        else:
            (copy / name).write_text(edit((copy / name).read_text()))
    return copy


def mft_line(switch: str, mlid: str, ports: str | None):
    """Edit one switch's line for one MLID in opensm.mcfdbs (None removes it, a new MLID is
    added after the switch's header)."""
    def edit(text: str) -> str:
        blocks = text.split("\n\n")
        for i, block in enumerate(blocks):
            if block.strip().startswith(switch):
                lines = [ln for ln in block.split("\n") if not ln.startswith(mlid)]
                if ports is not None:
                    lines.insert(2, f"{mlid} : {ports} ")
                blocks[i] = "\n".join(lines)
                return "\n\n".join(blocks)
        blocks.append(f"{switch}\nLID    : Out Port(s)\n{mlid} : {ports} \n")
        return "\n\n".join(blocks)
    return edit


def lft_entry(switch_lid: int, lid: int, port: int):
    def edit(text: str) -> str:
        out, inside = [], False
        for line in text.split("\n"):
            if line.startswith("Unicast lids"):
                inside = f"switch Lid {switch_lid} " in line
            elif inside and line.startswith(f"{lid:#06x} "):
                line = f"{lid:#06x} {port:03d}" + line[10:]
            out.append(line)
        return "\n".join(out)
    return edit


def problems(directory: Path, capsys) -> tuple[int, list[dict]]:
    code, out = check_cli(str(directory), "--json", capsys=capsys)
    return code, json.loads(out)["problems"]


def test_opensm_dumps_are_healthy(healthy, capsys):
    code, out = check_cli(str(healthy), capsys=capsys)
    assert code == 0, out
    assert "healthy: no problems found" in out
    code, out = check_cli(str(healthy), "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["problems"] == []
    assert report["checked"]["switches"] == 6 and report["checked"]["cas"] == 32
    assert report["checked"]["members"] == 6 and report["checked"]["lft_paths"] == 6 * 38


def test_member_cut_from_its_leaf_is_unreached(healthy, tmp_path, capsys):
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": mft_line(LEAF01, "0xC001", "0x009")})
    code, found = problems(copy, capsys)
    assert code == 1
    assert [p["kind"] for p in found] == ["member-unreached"]
    p = found[0]
    assert p["mlid"] == "0xc001" and p["severity"] == "error"
    assert p["subject"] == "MLID 0xc001 (ff12:1::1)"
    assert p["detail"].startswith("member node0001 (port GUID 0x0002c90300000001, LID 0x0002) "
                                  "is not reached from 3 of 3 other members: node0009")
    assert p["nodes"][0] == "0x0002c90300000000"


def test_branch_to_a_non_member(healthy, tmp_path, capsys):
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": mft_line(LEAF01, "0xC001",
                                                                "0x001  0x002  0x009")})
    code, found = problems(copy, capsys)
    assert code == 1 and [p["kind"] for p in found] == ["mft-non-member"]
    assert found[0]["detail"] == ("switch leaf01 (0x0002c90400000000, LID 0x0001) port 2 "
                                  "forwards to node0002 (port GUID 0x0002c90300000011, "
                                  "LID 0x0009), which is not a "
                                  "member")


def test_spine_without_the_entry_is_a_dead_end(healthy, tmp_path, capsys):
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": mft_line(SPINE01, "0xC001", None)})
    code, found = problems(copy, capsys)
    kinds = sorted({p["kind"] for p in found})
    assert code == 1 and kinds == ["member-unreached", "mft-dead-end"]
    dead = [p["detail"] for p in found if p["kind"] == "mft-dead-end"]
    assert len(dead) == 4
    assert all("leads to switch spine01 (0x0002c90400000004, LID 0x0007), which has no MFT entry"
               in d for d in dead)
    assert sum(p["kind"] == "member-unreached" for p in found) == 4


def test_stale_mlid_and_group_without_tree(healthy, tmp_path, capsys):
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": lambda t: mft_line(
        LEAF01, "0xC002", None)(mft_line(LEAF01, "0xC0FF", "0x001")(t))})
    code, found = problems(copy, capsys)
    assert code == 1
    assert sorted(p["kind"] for p in found) == ["group-no-mft", "mft-no-group"]
    by_kind = {p["kind"]: p for p in found}
    assert by_kind["mft-no-group"]["mlid"] == "0xc0ff"
    assert by_kind["group-no-mft"]["subject"] == "MLID 0xc002 (ff12:1::2)"
    assert "node0002" in by_kind["group-no-mft"]["detail"]


def test_mft_loop(healthy, tmp_path, capsys):
    edit = [mft_line(LEAF01, "0xC001", "0x001  0x009  0x00A"),
            mft_line(LEAF02, "0xC001", "0x001  0x009  0x00A"),
            mft_line(SPINE02, "0xC001", "0x001  0x005")]
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": lambda t: edit[2](edit[1](edit[0](t)))})
    code, found = problems(copy, capsys)
    assert code == 1 and {p["kind"] for p in found} == {"mft-loop"}
    assert any("spine02" in p["detail"] or "leaf01" in p["detail"] for p in found)


def test_unicast_wrong_port_and_loop(healthy, tmp_path, capsys):
    # leaf01 sends node0017's LID 4 to node0002 (port 2): misdelivered from every switch
    # whose path crosses leaf01 (only leaf01 itself)
    copy = broken(healthy, tmp_path, {"opensm-lfts.dump": lft_entry(1, 4, 2),
                                      "opensm.fdbs": None})
    code, found = problems(copy, capsys)
    assert code == 1 and [p["kind"] for p in found] == ["lid-unreachable"]
    assert found[0]["subject"] == \
        "LID 0x0004 of node0017 (port GUID 0x0002c90300000101, LID 0x0004)"
    # which switch the path starts from, and which it ends at, each named as a switch
    assert found[0]["detail"].startswith(
        "not delivered from 1 of 6 switches; from 1 switch (leaf01): the path ends at switch "
        "leaf01 (0x0002c90400000000, LID 0x0001), which delivers it to another node")
    code, out = check_cli(str(copy), capsys=capsys)
    assert code == 1 and out.rstrip().endswith("\n1 problem: 1 lid-unreachable")
    assert "error: lid-unreachable: LID 0x0004 of node0017" in out
    assert "delivers it to another node" in found[0]["detail"]
    # spine01 sends LID 4 back down to leaf01, which sends it up to spine01: a loop
    copy = broken(healthy, tmp_path / "loop", {"opensm-lfts.dump": lambda t: lft_entry(
        7, 4, 1)(lft_entry(1, 4, 9)(t)), "opensm.fdbs": None})
    code, found = problems(copy, capsys)
    assert code == 1 and {p["kind"] for p in found} == {"lid-loop"}
    assert "loops through" in found[0]["detail"]


def test_duplicate_lid_and_degraded_link(healthy, tmp_path, capsys):
    def lst(text: str) -> str:
        text = text.replace("{node0002 HCA-1} LID:0009", "{node0002 HCA-1} LID:0002")
        return "\n".join(re.sub(r"PHY=4x", "PHY=1x", ln) if "{node0003 HCA-1}" in ln else ln
                         for ln in text.split("\n"))
    # the LFT dumps name each LID's port too: without them the LIDs are the .lst's alone
    copy = broken(healthy, tmp_path, {"opensm-subnet.lst": lst, "guid2lid": None,
                                      "opensm-lfts.dump": None, "opensm.fdbs": None})
    code, out = check_cli(str(copy), "--json", capsys=capsys)
    report = json.loads(out)
    found = report["problems"]
    assert "no LFTs read: unicast paths were not checked" in report["notes"]
    kinds = {p["kind"] for p in found}
    assert code == 1 and {"duplicate-lid", "degraded-link"} <= kinds
    dup = next(p for p in found if p["kind"] == "duplicate-lid")
    assert dup["lid"] == "0x0002" and "node0001" in dup["detail"] and "node0002" in dup["detail"]
    bad = next(p for p in found if p["kind"] == "degraded-link")
    assert "node0003" in bad["subject"] and "narrower" in bad["detail"]


def test_unreadable_input_exits_2(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["check", str(tmp_path / "nothing-here")])
    assert parsed.func(parsed) == 2
    assert "nothing-here" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "cut"), [
    ("opensm.mcfdbs", lambda t: t[: t.rindex(":") + 1]),  # '0xC001 :' without ports
    ("opensm.mcfdbs", lambda t: t.rstrip("\n")[:-2]),  # a port number cut in half
    ("opensm-lfts.dump", lambda t: t.rstrip("\n")[:-3]),
    ("opensm-subnet.lst", lambda t: t[: len(t) // 2].rstrip("\n")),
    ("guid2lid", lambda t: t.rstrip("\n")[:-1]),
])
def test_dump_cut_short_is_unreadable_with_file_and_line(healthy, tmp_path, capsys, name, cut):
    copy = shutil.copytree(healthy, tmp_path / "cut")
    text = (copy / name).read_text()
    short = cut(text)
    (copy / name).write_text(short)
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["check", str(copy)])
    assert parsed.func(parsed) == 2
    err = capsys.readouterr().err
    assert f"{name}:{short.count(chr(10)) + 1}: the file ends mid-entry" in err
    if short.rstrip().endswith(":"):
        assert "an MFT entry with no ports" in err


def test_renamed_dump_cut_short_is_unreadable_too(healthy, tmp_path, capsys):
    copy = shutil.copytree(healthy, tmp_path / "cut")
    text = (copy / "opensm-lfts.dump").read_text()
    (copy / "opensm-lfts.dump").unlink()
    (copy / "lfts-before.txt").write_text(text.rstrip("\n")[:-3])
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["check", str(copy)])
    assert parsed.func(parsed) == 2
    assert "lfts-before.txt:" in (err := capsys.readouterr().err) and "ends mid-entry" in err


def test_mcfdbs_entry_without_ports_at_the_end_is_unreadable(healthy, tmp_path, capsys):
    copy = shutil.copytree(healthy, tmp_path / "cut")
    text = (copy / "opensm.mcfdbs").read_text()
    (copy / "opensm.mcfdbs").write_text(text[: text.rindex(":") + 1] + "\n")
    parser = argparse.ArgumentParser(prog="ibviz")
    add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["check", str(copy)])
    assert parsed.func(parsed) == 2
    assert "has no ports: the file ends mid-entry" in capsys.readouterr().err


def diff_cli(*args: str, capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="ibviz")
    diff_add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["diff", *args])
    code = parsed.func(parsed)
    return code, capsys.readouterr().out


def test_diff_of_a_node_failure(lab_snapshots, capsys):
    before, after = lab_snapshots
    code, out = diff_cli(str(before), str(after), "--json", capsys=capsys)
    d = json.loads(out)
    assert code == 1
    assert set(d) >= {"nodes_added", "nodes_removed", "links_changed", "members_changed",
                      "groups_changed", "mft_changed", "lft_changed"}
    assert d["nodes_added"] == [] and d["groups_changed"] == []
    assert [n["name"] for n in d["nodes_removed"]] == ["node0001"]
    assert d["nodes_removed"][0]["guid"] == "0x0002c90300000000"
    assert [(lk["change"], lk["text"]) for lk in d["links_changed"]] == \
        [("removed", "node0001[1] <-> leaf01[1]")]
    assert [(m["change"], m["mlid"], m["node"]) for m in d["members_changed"]] == \
        [("left", "0xc001", "0x0002c90300000000")]
    assert {"switch": "0x0002c90400000000", "name": "leaf01", "mlid": "0xc001",
            "old": [1, 9], "new": [], "text": "leaf01 0xc001: [1, 9] -> []"} in d["mft_changed"]
    # node0001's LID 2 is no longer routed anywhere
    lid2 = [e for e in d["lft_changed"] if e["lid"] == "0x0002"]
    assert len(lid2) == 6 and all(e["new"] is None for e in lid2)
    code, text = diff_cli(str(before), str(after), capsys=capsys)
    assert code == 1
    assert "- node node0001 (0x0002c90300000000, CA)" in text
    assert "~ mft leaf01 0xc001: [1, 9] -> []" in text
    assert "~ lft leaf01 LID 0x0002: port 1 -> no route" in text  # not 'port 255'
    assert "255" not in text
    code, text = diff_cli(str(before), str(before), capsys=capsys)
    assert code == 0 and text.rstrip().endswith("no differences")


def test_the_failed_fabric_is_still_healthy(lab_snapshots, capsys):
    """OpenSM's state after the failure is consistent: the check finds nothing."""
    code, out = check_cli(str(lab_snapshots[1]), capsys=capsys)
    assert code == 0, out


def whatif_cli(*args: str, capsys) -> tuple[int, str, str]:
    from ibviz.cli.whatif import add_parser as whatif_add_parser

    parser = argparse.ArgumentParser(prog="ibviz")
    whatif_add_parser(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["whatif", *args])
    code = parsed.func(parsed)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_whatif_a_host_fails_and_the_model_agrees_with_opensm(lab_snapshots, capsys):
    before, after = lab_snapshots
    code, out, _ = whatif_cli(str(before), "--fail", "node0001", "--json", capsys=capsys)
    assert code == 0
    r = json.loads(out)
    # the model reproduces OpenSM's own tables before the failure, entry for entry
    assert r["model"]["lft"]["equal"] == r["model"]["lft"]["total"] == 6 * 38
    assert r["model"]["mft"]["equal"] == r["model"]["mft"]["total"] == 6
    assert r["lids_lost"] == ["0x0002"] and r["lids_unreachable"] == []
    group = next(g for g in r["groups"] if g["mlid"] == "0xc001")
    assert group["members_lost"] == ["node0001 (port GUID 0x0002c90300000001, LID 0x0002)"]
    assert "leaf01 0xc001: [1, 9] -> []" in group["tree_changes"]
    # what the real OpenSM did after the same failure (the 'after' dumps): same MFTs
    code, out = diff_cli(str(before), str(after), "--json", capsys=capsys)
    real = {(e["name"], e["mlid"]): e["new"] for e in json.loads(out)["mft_changed"]}
    predicted = {}
    for text in group["tree_changes"]:
        name, rest = text.split(" ", 1)
        mlid, ports = rest.split(": ", 1)
        predicted[(name, mlid)] = json.loads(ports.split(" -> ")[1])
    assert predicted == {k: v for k, v in real.items() if k[1] == "0xc001"}
    real_lft = json.loads(out)["lft_changed"]
    assert r["lft_changed"] == real_lft and len(real_lft) == 6  # LID 2 unrouted everywhere


def test_whatif_a_spine_fails_and_a_protected_group(healthy, capsys):
    code, out, _ = whatif_cli(str(healthy), "--fail", "spine01", "--protect", "0xc001",
                              capsys=capsys)
    assert code == 0
    lost = next(ln for ln in out.splitlines() if ln.startswith("lost with the failure"))
    assert lost.startswith("lost with the failure: 1 LID: spine01 (")  # the LID said once
    assert lost.count("LID 0x0007") == 1, lost
    assert "unicast: every other LID is still delivered from every switch" in out
    assert "spine02 0xc001: [] -> [1, 5, 9, 13]" in out
    assert "the failure does not remove a member of this group" in out
    code, out, _ = whatif_cli(str(healthy), "--fail", "leaf01", "--protect", "ff12:1::1",
                              capsys=capsys)
    assert code == 0
    # the dumps name only the master (leaf01): the standby is an assumption, said so
    assert ("no standby SM is known in the files (they name only the master); the analysis "
            "ASSUMES one on leaf02") in out
    assert "MLID reassignment: node0009" in out and "takes over from node0001" in out
    assert "port remap: cannot be set up here" in out
    lmc = next(ln for ln in out.splitlines() if "prior-art LMC takeover:" in ln)
    assert "remote peers touched" in lmc and " 0 LFT" not in lmc


def test_whatif_standby_named_or_from_sminfo(healthy, tmp_path, capsys):
    code, out, _ = whatif_cli(str(healthy), "--fail", "leaf01", "--standby", "spine02",
                              "--json", capsys=capsys)
    assert code == 0
    note = json.loads(out)["notes"][0]
    assert "the standby SM on spine02" in note and "named by --standby" in note
    assert "ASSUMES" not in note
    code, _, err = whatif_cli(str(healthy), "--fail", "leaf01", "--standby", "leaf01",
                              capsys=capsys)
    assert code == 2 and "standby SM's node leaf01" in err
    # smpquery sminfo asked of a standby SM (here leaf03's port, LID 5) names it
    copy = shutil.copytree(healthy, tmp_path / "standby")
    (copy / "sminfo").write_text("sminfo: sm lid 5 sm guid 0x2c90400000002, activity "
                                 "count 120 priority 0 state 2 SMINFO_STANDBY\n")
    code, out, _ = whatif_cli(str(copy), "--fail", "leaf01", capsys=capsys)
    assert code == 0
    assert "the standby SM on leaf03" in out and "(named by sminfo)" in out


def test_whatif_on_an_already_broken_fabric_names_what_differs(healthy, tmp_path, capsys):
    # leaf01's entry for 0xc001 loses its uplink (port 9): node0001 no longer reaches the
    # other leaves' members, before any failure
    copy = broken(healthy, tmp_path, {"opensm.mcfdbs": mft_line(LEAF01, "0xC001", "0x001")})
    code, out, _ = whatif_cli(str(copy), "--fail", "spine01", capsys=capsys)
    assert code == 0
    assert "5 of 6 MFT entries as the dumps" in out
    assert "the dumps' MFTs differ from the model's trees in 1 entry" in out
    assert "  leaf01 0xc001: dumps [1], model [1, 9]" in out
    assert "already before the failure, the dumps' MFTs leave 3 members unreached:" in out
    assert ("member node0009 (port GUID 0x0002c90300000081, LID 0x0017) is not reached from "
            "1 of 3 other members: node0001") in out
    code, out, _ = whatif_cli(str(copy), "--fail", "spine01", "--json", capsys=capsys)
    r = json.loads(out)
    assert r["mft_differs"] == [{"switch": "0x0002c90400000000", "name": "leaf01",
                                 "mlid": "0xc001", "dumps": [1], "model": [1, 9]}]
    assert len(r["already_unreached"]) == 3
    assert {u["kind"] for u in r["already_unreached"]} == {"member-unreached"}
    # the healthy dumps: nothing differs, nothing said
    code, out, _ = whatif_cli(str(healthy), "--fail", "spine01", "--json", capsys=capsys)
    r = json.loads(out)
    assert r["mft_differs"] == [] and r["already_unreached"] == []


def test_whatif_unknown_node_and_unreadable_input_exit_2(healthy, tmp_path, capsys):
    code, _, err = whatif_cli(str(healthy), "--fail", "nosuch", capsys=capsys)
    assert code == 2 and "no node 'nosuch'" in err
    code, _, err = whatif_cli(str(tmp_path / "missing"), "--fail", "x", capsys=capsys)
    assert code == 2 and "missing" in err
