"""The test command draws the same hypothesis examples on every run and machine."""

from __future__ import annotations

from pathlib import Path

from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]


def test_ci_profile_is_derandomized_without_database_or_deadline():
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert settings.get_profile("fuzz").max_examples >= 10_000


def test_the_readme_command_and_ci_select_the_ci_profile():
    script = (REPO / "tests" / "setup-and-run.sh").read_text()
    assert '"--hypothesis-profile=${HYPOTHESIS_PROFILE:-ci}"' in script
    assert "tests/setup-and-run.sh" in (REPO / ".ci" / "run").read_text()


def test_no_test_overrides_derandomization_or_the_database():
    for path in (REPO / "tests").rglob("test_*.py"):
        text = path.read_text()
        if path.name != Path(__file__).name:
            assert "derandomize" not in text and "database=" not in text, path
