"""The layers are enforced: `lint-imports` (make lint, CI) fails on an import that runs upward (issue 19).

The contract is `[tool.importlinter]` in pyproject.toml. The test runs it on a copy of the `cases` package,
first as it is (kept), then with one deliberate upward import added: a model importing a service.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.slow  # starts lint-imports twice


def _lint(tree: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH first: the copy, not the checkout (installed in development mode), is the `cases` it analyses.
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(ROOT / "cases", tmp_path / "cases", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_its_layers_and_an_upward_import_breaks_the_contract(tree):
    kept = _lint(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "KEPT" in kept.stdout and "BROKEN" not in kept.stdout

    platforms = tree / "cases" / "cases" / "models" / "platforms.py"
    platforms.write_text(platforms.read_text() + "\n\ndef _upward():\n"
                         "    from cases.cases.services.cases import create_case  # a model reaching up into a service\n\n"  # noqa: E501
                         "    return create_case\n")
    broken = _lint(tree)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "BROKEN" in broken.stdout
    assert "cases.cases.models.platforms -> cases.cases.services.cases" in broken.stdout


def test_a_domain_may_not_reach_up_into_another_domain(tree):
    """After the split by domain: an evidence model importing a sanctions service is refused too."""
    evidence = tree / "cases" / "evidence" / "models" / "evidence.py"
    evidence.write_text(evidence.read_text() + "\n\ndef _upward():\n"
                        "    from cases.sanctions.services.sanctions import propose  # up, into another domain\n\n"
                        "    return propose\n")
    broken = _lint(tree)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "BROKEN" in broken.stdout
    assert "cases.evidence.models.evidence -> cases.sanctions.services.sanctions" in broken.stdout
