"""The three strategies compared honestly: each strategy's own cost beyond the node loss
(LFT and MFT blocks, the takeover's lost LIDs, broken connections, remote peers), what
each figure means and what each strategy needs; and the prior art's LMC alignment."""

from __future__ import annotations

import json

import pytest

from ibviz.cli.main import main
from ibviz.core.scenario.compare import METRICS, NEEDS, summarise
from ibviz.topology.scenarios import open_session

KEYS = ("lft_blocks_written", "mft_blocks_written", "takeover_lids_changed",
        "connections_broken", "remote_peers_touched", "mads", "outage_us")

RC_TO_TAKEOVER = """\
name: rc-lmc
fabric: fig8
duration_us: 6000
groups:
  - name: svc
    mgid: "ff15::1:11"
    members:
      - {node: sender, join: send-only-full}
failover: {group: svc, primary: first-node, takeover: second-node, mode: lmc}
flows:
  - {name: svc, source: sender, destination: "group:svc", rate_pps: 20000}
  - {name: admin, source: sender-2, destination: second-node, transport: RC,
     rate_pps: 20000}
timeline:
  - {at_us: 2000, fail: first-node}
"""


def compare_json(name: str, capsys) -> dict:
    assert main(["run", name, "--compare", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_json_carries_every_cost_key(capsys):
    out = compare_json("prior-art-lmc", capsys)
    assert set(out["compare"]) == {"mlid", "port", "lmc"}
    for mode, report in out["compare"].items():
        fos = [o for o in report["failover"] if o["kind"] == "failover"]
        assert fos, mode
        for entry in fos:
            assert set(KEYS) <= set(entry), (mode, sorted(entry))
    assert set(out["explain"]["metrics"]) == {m.key for m in METRICS}
    assert set(out["explain"]["needs"]) == set(NEEDS)


def test_mode_1_writes_mft_blocks_the_prior_art_rewrites_every_lft(capsys):
    out = compare_json("prior-art-lmc", capsys)
    mlid, lmc = (summarise(out["compare"][m]) for m in ("mlid", "lmc"))
    switches = 2  # fig8: switch-1 and switch-2 each get the failed LID's block rewritten
    assert mlid["mft_blocks_written"] >= 1 and mlid["lft_blocks_written"] == 0
    assert lmc["lft_blocks_written"] == switches and lmc["mft_blocks_written"] == 0
    assert mlid["remote_peers_touched"] == 0 and lmc["remote_peers_touched"] == 2
    # fig8: first-node LID 3, second-node LID 4: no aligned block without LID 0 holds both,
    # so LMC 1 on the block 2-3 costs the takeover its own LID 4
    assert lmc["takeover_lids_changed"] == 1 and mlid["takeover_lids_changed"] == 0


def test_an_rc_connection_to_the_takeover_breaks_only_under_the_prior_art(tmp_path):
    path = tmp_path / "rc-lmc.yaml"
    path.write_text(RC_TO_TAKEOVER)
    figures = {}
    for mode in ("mlid", "lmc"):
        session = open_session(path, mode=mode)
        session.run_until(session.duration_us)
        figures[mode] = summarise(session.report())
    assert figures["lmc"]["connections_broken"] == 1
    assert figures["mlid"]["connections_broken"] == 0


def test_the_takeover_keeps_its_lid_when_one_block_holds_both():
    """Takeover LID 2, failed LID 3: LMC 1 on 2-3 keeps the takeover's own LID."""
    from ibviz.core.failover.lmc_takeover import lmc_takeover
    from ibviz.core.model import PortRef
    from ibviz.core.sm.manager import SubnetManager
    from ibviz.topology import open_fabric
    from ibviz.topology.builtin import FAILOVER_ROLES

    fabric = open_fabric("fig8")
    sm = SubnetManager(fabric)
    sm.sweep()
    roles = FAILOVER_ROLES["fig8"]
    first, takeover = PortRef(roles["primary"], 1), PortRef(roles["takeover"], 1)
    assert fabric.port(first).lid == 3
    switch_2 = fabric.lid_owners()[2][0]
    fabric.assign_lid(switch_2, 9, 0)
    fabric.assign_lid(takeover, 2, 0)
    sm.fail_node(first.node)
    ok, text, moved = lmc_takeover(sm, takeover, first, {})
    assert ok, text
    assert list(fabric.port(takeover).lids()) == [2, 3] and moved == set()
    assert "had to go" not in text


@pytest.mark.parametrize("name", ["fig8", "fig10"])
def test_text_compare_explains_each_figure_and_need(name, capsys):
    assert main(["run", name, "--compare"]) == 0
    text = capsys.readouterr().out
    for metric in METRICS:
        assert f"  {metric.label}: {metric.explain}" in text
    assert "what each strategy needs:" in text and "LMC headroom" in text


def test_a_broken_invariant_is_named_and_a_strategy_that_cannot_apply_says_why():
    from ibviz.core.scenario.compare import cell_text, invariants_text

    report = {"mode": "port", "failover": [],
              "fabric": {"switches_without_multicast_table": ["switch-1"]},
              "invariants": {"conservation": True, "exactly_once": False, "loops": 0,
                             "duplicates": 2, "problems": ["packet 0 reached nobody"]}}
    row = summarise(report)
    assert row["not_applicable"] is None  # port remap is meant for such a switch
    assert invariants_text(row) == "BROKEN: exactly-once delivery to every live member, " \
        "no duplicates"
    assert row["invariants_broken"][1] == "no duplicates (2 delivered twice)"
    row = summarise({**report, "mode": "mlid"})
    assert row["not_applicable"] == ("MLID reassignment needs switch multicast tables; "
                                     "switch switch-1 keeps none (MulticastFDBCap = 0)")
    assert cell_text(row, "outage_us") == "n/a" and invariants_text(row) == "n/a"


def test_compare_json_says_which_strategy_cannot_apply(capsys):
    data = compare_json("fig10", capsys)
    assert data["compare"]["mlid"]["not_applicable"].startswith("MLID reassignment needs")
    assert data["compare"]["port"]["not_applicable"] is None
    assert all(k in data["compare"]["mlid"]["failover"][0] for k in KEYS)
