"""The Excel route: `new workbook`, validate/convert/submit of .xlsx with SHEET!CELL messages,
and hostile workbooks refused in one line."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from rdflib.compare import isomorphic

from compact_kg import rdfio
from compact_kg.cli import cli
from compact_kg.context import DatasetContext
from compact_kg.forms import FORMS, sheet_name
from compact_kg.paths import default_paths
from tests.test_forms import VALID_FORM
from tests.test_submissions import DATA, tree_hash


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workbook") / "blank.xlsx"
    result = run("new", "workbook", str(path))
    assert result.exit_code == 0, result.output
    return path


def filled_from_forms(blank: Path, folder: Path, target: Path,
                      edits: dict[tuple[str, int, str], str] | None = None) -> Path:
    """The blank workbook with the rows of a CSV form folder from row 4, then ``edits``
    ((sheet, row, header) -> value)."""
    book = load_workbook(blank)
    for form in FORMS:
        source = folder / form
        if not source.is_file():
            continue
        rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
        headers = rows[0]
        sheet = book[sheet_name(form)]
        order = {c.header: i for i, c in enumerate(FORMS[form], start=1)}
        number = 4
        for row in rows[1:]:
            if not any(row) or row[0].startswith("#"):
                continue
            for header, value in zip(headers, row, strict=False):
                sheet.cell(number, order[header], value)
            number += 1
    for (title, number, header), value in (edits or {}).items():
        column = [c.header for c in FORMS[f"{title.lower().replace(' ', '-')}.csv"]].index(header)
        book[title].cell(number, column + 1, value)
    book.save(target)
    return target


def test_the_workbook_has_a_sheet_per_form_and_lists_from_the_vocabularies(blank: Path):
    book = load_workbook(blank)
    assert book.sheetnames[0] == "README"
    assert [sheet_name(f) for f in FORMS] == [n for n in book.sheetnames if n not in
                                              ("README", "Lists")]
    assert book["Lists"].sheet_state == "hidden"
    context = DatasetContext.load(default_paths())
    mechanisms = book[sheet_name("mechanisms.csv")]
    (rule,) = [v for v in mechanisms.data_validations.dataValidation if "C4" in str(v.sqref)]
    listed_range = rule.formula1.split("!")[1].replace("$", "")
    first, last = listed_range.split(":")
    column = first[0]
    listed = [book["Lists"][f"{column}{n}"].value
              for n in range(int(first[1:]), int(last[1:]) + 1)]
    assert listed == [c.label for c in context.concepts("mechanism-type")]
    headers = [c.value for c in book["Measurements"][1]]
    assert headers == [c.header for c in FORMS["measurements.csv"]]
    assert str(book["Measurements"]["A2"].value).startswith("# required:")


def test_new_workbook_never_overwrites(blank: Path):
    result = run("new", "workbook", str(blank))
    assert result.exit_code == 2 and "already exists" in result.output


def test_a_filled_workbook_converts_to_the_graph_of_the_same_csv_forms(blank: Path,
                                                                      tmp_path: Path):
    workbook = filled_from_forms(blank, VALID_FORM, tmp_path / "thurrock.xlsx")
    result = run("validate", str(workbook))
    assert result.exit_code == 0, result.output
    from_xlsx, from_csv = tmp_path / "a.ttl", tmp_path / "b.ttl"
    assert run("convert", str(workbook), "--out", str(from_xlsx)).exit_code == 0
    assert run("convert", str(VALID_FORM), "--out", str(from_csv)).exit_code == 0
    assert isomorphic(rdfio.read_rdf(from_xlsx), rdfio.read_rdf(from_csv))


def test_three_mistakes_are_reported_at_their_cells(blank: Path, tmp_path: Path):
    workbook = filled_from_forms(blank, VALID_FORM, tmp_path / "mistakes.xlsx", {
        ("Measurements", 4, "Value"): "lots",
        ("Mechanisms", 4, "Type"): "Compact chamion",
        ("Sources", 4, "Published"): "the spring",
    })
    result = run("validate", str(workbook))
    assert result.exit_code == 1, result.output
    assert "Measurements!C4" in result.output
    assert "Mechanisms!C4" in result.output and "did you mean" in result.output
    assert "Sources!E4" in result.output
    assert "does not conform: 3 violations" in result.output  # each mistake once


def _zip_with(source: Path, target: Path, extra: dict[str, bytes],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression) as new:
        for item in old.infolist():
            new.writestr(item, old.read(item.filename))
        for name, data in extra.items():
            new.writestr(name, data)
    return target


@pytest.mark.parametrize(("case", "message"), [
    ("external link", "refused: the workbook holds a link to another workbook"),
    ("macros", "refused: the workbook holds macros"),
    ("zip bomb", "zip bomb"),
    ("doctype", "a document type declaration"),
    ("not a zip", "this is not an Excel workbook"),
    ("oversized", "more than the limit of"),
    ("data connection", "a data connection"),
])
def test_hostile_workbooks_get_a_one_line_refusal(blank: Path, tmp_path: Path, case: str,
                                                  message: str):
    target = tmp_path / "hostile.xlsx"
    if case == "external link":
        _zip_with(blank, target, {"xl/externalLinks/externalLink1.xml":
                                  b'<externalLink xmlns="x"><externalBook r:id="rId1"/>'
                                  b"</externalLink>"})
    elif case == "macros":
        _zip_with(blank, target, {"xl/vbaProject.bin": b"\x00" * 100})
    elif case == "zip bomb":
        _zip_with(blank, target, {"xl/media/image1.png": b"\x00" * 60_000_000})
    elif case == "doctype":
        _zip_with(blank, target, {"xl/worksheets/sheet99.xml":
                                  b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'})
    elif case == "not a zip":
        target.write_bytes(b"ID,Title\n1,2\n")
    elif case == "oversized":
        _zip_with(blank, target, {"xl/media/noise.bin": bytes(range(256)) * 25_000},
                  compression=zipfile.ZIP_STORED)
    else:
        _zip_with(blank, target, {"xl/connections.xml": b"<connections/>"})
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    before = tree_hash(data)
    for command in ("validate", "submit"):
        result = run(command, str(target), "--data-dir", str(data))
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (command, result.output)
        assert "Traceback" not in result.output
    assert tree_hash(data) == before


def test_an_empty_required_text_cell_is_a_problem_not_a_crash(tmp_path: Path):
    # Regression: an empty required text column of a CSV form raised KeyError.
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM, folder)
    path = folder / "case-study.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    title = rows[0].index("Title")
    for row in rows[1:]:
        if row and not row[0].startswith("#"):
            row[title] = ""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = run("validate", str(folder))
    assert result.exit_code == 1, result.output
    assert "unexpected problem" not in result.output
