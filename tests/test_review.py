"""`compact-kg review`: a queue of conforming submissions, a curator's approve and reject."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compact_kg.cli import cli
from tests.test_submissions import DATA, FIXTURES, VALID, tree_hash

INVALID = FIXTURES / "05-invalid-unknown-area.ttl"


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    return {"data": data, "queue": tmp_path / "queue"}


def review(place: dict[str, Path], *args: str, data: bool = False):
    extra = ["--queue", str(place["queue"])]
    if data:
        extra += ["--data-dir", str(place["data"])]
    return CliRunner().invoke(cli, ["review", *args, *extra])


def add(place: dict[str, Path], path: Path = VALID, name: str = "Ann Officer",
        email: str = "ann@council.gov.uk"):
    return review(place, "add", str(path), "--name", name, "--email", email, data=True)


def only_id(place: dict[str, Path]) -> str:
    (entry,) = place["queue"].glob("*.json")
    return entry.stem


def test_a_conforming_submission_is_queued_not_stored(place):
    before = tree_hash(place["data"])
    result = add(place)
    assert result.exit_code == 0, result.output
    assert "Queued for review as" in result.output
    entry = json.loads(next(place["queue"].glob("*.json")).read_text())
    assert entry["state"] == "queued" and entry["submitter"]["name"] == "Ann Officer"
    assert entry["content"] == VALID.read_text() and "conforms" in entry["report"].lower()
    assert tree_hash(place["data"]) == before  # nothing in data/ until a curator approves
    listed = review(place, "list")
    assert only_id(place) in listed.output and "(1 entry)" in listed.output


def test_a_submission_that_does_not_conform_is_not_queued(place):
    result = add(place, INVALID)
    assert result.exit_code == 2
    assert "does not conform, so it was not sent for review" in result.output
    assert not place["queue"].exists() or not list(place["queue"].iterdir())


@pytest.mark.parametrize(("name", "email", "message"), [
    ("", "ann@council.gov.uk", "give your name"),
    ("Ann", "not-an-address", "is not an e-mail address"),
])
def test_the_submitter_must_say_who_they_are(place, name, email, message):
    result = add(place, name=name, email=email)
    assert result.exit_code == 2 and message in result.output


def test_show_prints_the_report_and_what_it_would_add(place):
    add(place)
    result = review(place, "show", only_id(place))
    assert result.exit_code == 0, result.output
    assert "from Ann Officer <ann@council.gov.uk>" in result.output
    assert "What it would add:" in result.output
    assert "triples added, 0 removed" in result.output
    assert "https://w3id.org/compact-kg/id/" in result.output


def test_approve_stores_it_as_submit_does_and_records_the_decision(place):
    add(place)
    entry_id = only_id(place)
    result = review(place, "approve", entry_id, data=True)
    assert result.exit_code == 0, result.output
    stored = list((place["data"] / "submissions").glob("*.ttl"))
    assert len(stored) == 1 and f"Approved {entry_id}: wrote" in result.output
    entry = json.loads((place["queue"] / f"{entry_id}.json").read_text())
    assert entry["state"] == "approved" and entry["stored"] == str(stored[0])
    again = review(place, "approve", entry_id, data=True)
    assert again.exit_code == 2 and "only a queued submission" in again.output
    assert "(0 entries)" in review(place, "list").output
    assert entry_id in review(place, "list", "--state", "approved").output


def test_approve_checks_again_against_the_dataset_as_it_is_now(place):
    add(place)
    entry_id = only_id(place)
    # Meanwhile the same case study reached data/ by another route.
    assert CliRunner().invoke(cli, ["submit", str(VALID), "--data-dir",
                                    str(place["data"])]).exit_code == 0
    before = tree_hash(place["data"])
    result = review(place, "approve", entry_id, data=True)
    assert result.exit_code == 2 and "redefines" in result.output
    assert tree_hash(place["data"]) == before
    assert json.loads((place["queue"] / f"{entry_id}.json").read_text())["state"] == "queued"


def test_reject_keeps_the_entry_and_the_reason(place):
    add(place)
    entry_id = only_id(place)
    result = review(place, "reject", entry_id, "--why", "Please cite the page of the source.")
    assert result.exit_code == 0, result.output
    entry = json.loads((place["queue"] / f"{entry_id}.json").read_text())
    assert entry["state"] == "rejected" and entry["reason"] == "Please cite the page of the source."
    assert "rejected" in review(place, "show", entry_id).output
    assert review(place, "approve", entry_id, data=True).exit_code == 2


def test_unknown_and_malformed_ids_get_one_line(place):
    for entry_id in ("20260101-000000-00000000", "../../etc/passwd"):
        result = review(place, "show", entry_id)
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_workbook_is_queued_as_the_turtle_it_converts_to(place, tmp_path):
    from tests.test_forms import VALID_FORM
    from tests.test_workbook import filled_from_forms

    blank = tmp_path / "blank.xlsx"
    assert CliRunner().invoke(cli, ["new", "workbook", str(blank)]).exit_code == 0
    workbook = filled_from_forms(blank, VALID_FORM, tmp_path / "thurrock.xlsx")
    result = add(place, workbook)
    assert result.exit_code == 0, result.output
    entry = json.loads(next(place["queue"].glob("*.json")).read_text())
    assert entry["filename"] == "thurrock.ttl" and "ckg:CaseStudy" in entry["content"]
    assert review(place, "approve", entry["id"], data=True).exit_code == 0
