"""Screened whole-dataset validation gives exactly the plain path's report.

``compact_kg.scale.validate_screened`` (what ``validate_dataset`` runs from 50 data files on)
screens the dataset on Oxigraph and lets pySHACL check only the files that may hold a problem;
``validate_dataset(plain=True)``
runs pySHACL over one graph of everything. Every comparison here is of whole results: rule,
severity, focus and its label, path, value, message and constraint component.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compact_kg import scale
from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.screen import EncodedDataset, candidates
from compact_kg.validate import ValidationReport, load_shapes, validate_dataset

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURES = sorted((HERE / "data" / "shapes").glob("*.ttl"))


def _project(tmp: Path, files: list[Path], *, queries: bool = False) -> ProjectPaths:
    """A checkout in ``tmp``: this repository's ontology, its reference data and ``files``."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "ontology").symlink_to(ROOT / "ontology", target_is_directory=True)
    if queries:
        (tmp / "queries").symlink_to(ROOT / "queries", target_is_directory=True)
    shutil.copytree(ROOT / "data" / "reference", tmp / "data" / "reference")
    for path in files:
        shutil.copy(path, tmp / "data" / path.name)
    return ProjectPaths(tmp)


def _key(report: ValidationReport) -> list[tuple[str | None, ...]]:
    """The results as comparable rows; blank-node focus ids (fresh on every read) masked."""
    return sorted(tuple(x or "" for x in (
        r.severity, r.shape, r.rule, r.focus if "://" in r.focus else "_:b", r.focus_label,
        r.path, r.value, r.message, r.component)) for r in report.results)


def _same(paths: ProjectPaths) -> ValidationReport:
    screened = scale.validate_screened(paths)
    plain = validate_dataset(paths, plain=True)
    assert _key(screened) == _key(plain)
    assert screened.summary == plain.summary
    assert screened.conforms == plain.conforms
    return plain


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_every_shape_fixture_gets_the_plain_report(tmp_path: Path, fixture: Path) -> None:
    _same(_project(tmp_path, [fixture]))


def test_all_fixtures_together_get_the_plain_report(tmp_path: Path) -> None:
    plain = _same(_project(tmp_path, FIXTURES))
    assert not plain.conforms


def test_many_files_to_check_go_through_the_workers(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _project(tmp_path, FIXTURES)
    plain = validate_dataset(paths, plain=True)
    monkeypatch.setattr(scale, "_SCREEN_FILES_IN_PROCESS", 0)
    for processes in (1, 2):
        assert _key(scale.validate_screened(paths, processes=processes)) == _key(plain)


def test_the_repository_dataset_with_its_violation_queries() -> None:
    _same(default_paths(ROOT))


def test_the_screen_passes_valid_data_and_flags_every_failing_node(tmp_path: Path) -> None:
    # The reference data alone has a few "should" warnings (publications whose issue date is
    # unknown): a valid fixture must add no candidate to those.
    paths = _project(tmp_path / "reference-only", [])
    dataset = EncodedDataset([*paths.model_files(), *paths.data_files()])
    reference = candidates(load_shapes(paths), dataset)
    warned = {r.focus for r in validate_dataset(paths, plain=True).results}
    assert {term.value for term in reference} == {f for f in warned if "://" in f}
    for fixture in (f for f in FIXTURES if "-valid-" in f.name):  # each on its own: the
        paths = _project(tmp_path / fixture.stem, [fixture])       # examples share IRIs
        dataset = EncodedDataset([*paths.model_files(), *paths.data_files()])
        assert candidates(load_shapes(paths), dataset) <= reference, fixture.name
    paths = _project(tmp_path / "all", FIXTURES)
    dataset = EncodedDataset([*paths.model_files(), *paths.data_files()])
    flagged = {term.value for term in candidates(load_shapes(paths), dataset)}
    focus = {r.focus for r in validate_dataset(paths, plain=True).results if r.component}
    assert {f for f in focus if "://" in f} <= flagged


def test_literals_are_screened_as_written(tmp_path: Path) -> None:
    # Oxigraph would store 340.0 and 340.00 as one value: the measurement has two values.
    source = HERE / "data" / "shapes" / "04-valid-measurement-over-a-period-with-qualifier.ttl"
    twice = tmp_path / "twice.ttl"
    text = source.read_text(encoding="utf-8")
    twice.write_text(text.replace("ckg:value 340.0 ;", "ckg:value 340.0, 340.00 ;"),
                     encoding="utf-8")
    plain = _same(_project(tmp_path / "p", [twice]))
    assert any(r.component == "sh:MaxCountConstraintComponent" for r in plain.results)


def test_a_change_in_a_neighbouring_file_is_seen(tmp_path: Path) -> None:
    # The fixture links areas of the reference data; remove them and the links fail.
    fixture = next(f for f in FIXTURES if f.name.startswith("01-"))
    paths = _project(tmp_path, [fixture])
    assert scale.validate_screened(paths).conforms
    (tmp_path / "data" / "reference" / "areas.ttl").write_text("", encoding="utf-8")
    report = _same(paths)
    assert not report.conforms


def test_a_syntax_error_reads_as_on_the_plain_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:p .\n", encoding="utf-8")
    paths = _project(tmp_path / "p", [bad])
    with pytest.raises(InputError) as plain:
        validate_dataset(paths, plain=True)
    with pytest.raises(InputError) as screened:
        scale.validate_screened(paths)
    assert str(screened.value) == str(plain.value)



def test_a_component_the_screen_does_not_know_falls_back_to_every_target(tmp_path: Path) -> None:
    # sh:languageIn is not compiled: every target becomes a candidate; pySHACL decides.
    paths = _project(tmp_path, FIXTURES[:12])
    (tmp_path / "ontology").unlink()
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    with (tmp_path / "ontology" / "shapes.ttl").open("a", encoding="utf-8") as shapes:
        shapes.write('\nshapes:LabelsInWelsh a sh:PropertyShape ;\n'
                     '    sh:targetClass org:Organization ; sh:path rdfs:label ;\n'
                     '    sh:languageIn ( "cy" ) ; sh:message "Welsh only."@en-GB .\n')
    plain = _same(paths)
    assert any(r.shape.endswith("LabelsInWelsh") for r in plain.results)


def test_a_refused_violation_query_reads_as_on_the_plain_path(tmp_path: Path) -> None:
    from compact_kg.errors import QueryError

    paths = _project(tmp_path, FIXTURES[:3])
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "bad-violation.rq").write_text(
        "#+ title: A refused check\n#+ description: Must not run.\n"
        "SELECT ?x WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?x ?p ?o } }\n",
        encoding="utf-8")
    with pytest.raises(QueryError) as plain:
        validate_dataset(paths, plain=True)
    for processes in (1, 2):  # 2: the queries run in a worker process
        with pytest.raises(QueryError) as screened:
            scale.validate_screened(paths, processes=processes)
        assert str(screened.value) == str(plain.value)
