"""Every command works on the checkout named by COMPACT_KG_HOME, not only on this one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compact_kg.cli import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def other_checkout(tmp_path: Path) -> Path:
    """A copy of this checkout's model, data and queries, with one case study broken."""
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    surrey = tmp_path / "data" / "case-studies" / "surrey.ttl"
    text = surrey.read_text(encoding="utf-8")
    surrey.write_text(text.replace("ckg:area area:surrey ;", "", 1), encoding="utf-8")
    return tmp_path


def test_validate_uses_compact_kg_home(other_checkout: Path):
    result = CliRunner().invoke(cli, ["validate"], env={"COMPACT_KG_HOME": str(other_checkout)})
    assert result.exit_code == 1, result.output
    assert "CaseStudyMustNameItsArea" in result.output


def test_publish_uses_compact_kg_home(other_checkout: Path, tmp_path: Path):
    (other_checkout / "data" / "case-studies" / "surrey.ttl").unlink()
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", "--out", str(out)],
                                env={"COMPACT_KG_HOME": str(other_checkout)})
    assert result.exit_code == 0, result.output
    assert (out / "id" / "case-study" / "merton.html").is_file()
    assert not (out / "id" / "case-study" / "surrey.html").exists()
