"""The four submission holes found in testing (issue 11, part 4), each driven through both
``compact-kg validate FILE`` and ``compact-kg submit FILE``: the exit status, a one-line
message, no traceback on stdout or stderr, no log record above DEBUG and no warning from a
library, and data/ byte-identical afterwards (a copy, through --data-dir)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, SH

from compact_kg import literals, rdfio
from compact_kg.cli import cli
from compact_kg.paths import default_paths
from compact_kg.submissions import MAX_FILE_NAME, MAX_SUBMISSION_TRIPLES, file_name_for
from compact_kg.terms import REUSED_TERMS_FILE, declared_terms
from compact_kg.validate import load_model, load_shapes
from tests.test_submissions import DATA, ROOT, VALID, tree_hash

RULES = "https://w3id.org/compact-kg/submission/"
CS = "https://w3id.org/compact-kg/id/case-study/"
XSD = "http://www.w3.org/2001/XMLSchema#"  # a str: pytest probes module globals


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def invoke(caplog: pytest.LogCaptureFixture, *args: str, env: dict | None = None):
    """Run the command line in-process; fail on a log record above DEBUG or a warning."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as caught:
        result = CliRunner().invoke(cli, list(args), env=env)
    loud = [f"{r.name}: {r.getMessage()[:120]}" for r in caplog.records
            if r.levelno > logging.DEBUG]
    assert loud == [], loud
    assert [str(w.message)[:120] for w in caught] == []
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
    return result


def both(caplog: pytest.LogCaptureFixture, path: Path, data_copy: Path, exit_code: int):
    """``validate --format json`` and ``submit`` on ``path``; data/ unchanged by either.

    Returns the JSON report (None when refused) and submit's result."""
    before = tree_hash(data_copy)
    checked = invoke(caplog, "validate", "--format", "json", str(path),
                     "--data-dir", str(data_copy))
    assert checked.exit_code == exit_code, checked.output
    submitted = invoke(caplog, "submit", str(path), "--data-dir", str(data_copy))
    assert submitted.exit_code == exit_code, submitted.output
    assert tree_hash(data_copy) == before
    if exit_code == 2:
        for result in (checked, submitted):
            assert result.stdout == ""
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"error: {path}"), lines
        return None, submitted
    assert submitted.stderr == ""
    assert "Not submitted" in submitted.stdout
    return json.loads(checked.stdout), submitted


def violations(report: dict, rule: str) -> list[dict]:
    return [r for r in report["results"]
            if r["severity"] == "Violation" and r["shape"] == RULES + rule]


# ---------------------------------------------------------------------------------------------
# a) a file that uses no term of the dataset
# ---------------------------------------------------------------------------------------------

ALICE = '@prefix ex: <http://example.org/> .\nex:alice a ex:Person ; ex:name "Alice" .\n'


def test_file_using_no_term_of_the_dataset_does_not_conform_and_is_not_stored(
        tmp_path: Path, data_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "alice.ttl"
    path.write_text(ALICE)
    report, submitted = both(caplog, path, data_copy, 1)
    assert not (data_copy / "submissions").exists()
    (nothing,) = violations(report, "NothingModelled")
    assert (nothing["file"], nothing["line"], nothing["column"]) == (str(path), 2, 1)
    assert "describes nothing that compact-kg models" in nothing["message"]
    terms = {r["path"] if r["path"] != "rdf:type" else r["value"]: r
             for r in violations(report, "UndeclaredTerm")}
    assert set(terms) == {"<http://example.org/Person>", "<http://example.org/name>"}
    assert (terms["<http://example.org/Person>"]["line"],
            terms["<http://example.org/Person>"]["column"]) == (2, 12)
    assert (terms["<http://example.org/name>"]["line"],
            terms["<http://example.org/name>"]["column"]) == (2, 24)
    assert "is not a property compact-kg knows" in terms["<http://example.org/name>"]["message"]
    assert "Classes and properties must be declared" in submitted.stdout


@pytest.mark.parametrize(("old", "new", "shown", "suggestion"), [
    ("ckg:mechanism mech:merton-joint-grants-panel",
     "ckg:mechanim mech:merton-joint-grants-panel", "ckg:mechanim", "ckg:mechanism"),
    ('dcterms:title "Council', 'dcterms:titel "Council', "dcterms:titel", "dcterms:title"),
    ("cs:merton-2024 a ckg:CaseStudy", "cs:merton-2024 a ckg:CaseStudi", "ckg:CaseStudi",
     "ckg:CaseStudy"),
    ("ckg:operatedBy", "ckg:operatedby", "ckg:operatedby", "ckg:operatedBy"),
])
def test_misspelt_term_is_undeclared_with_did_you_mean_at_its_position(
        old: str, new: str, shown: str, suggestion: str, tmp_path: Path, data_copy: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    text = VALID.read_text()
    assert old in text
    path = tmp_path / "misspelt.ttl"
    path.write_text(text.replace(old, new, 1))
    report, _ = both(caplog, path, data_copy, 1)
    (found,) = [r for r in violations(report, "UndeclaredTerm") if shown in (r["path"], r["value"])]
    assert f"Did you mean {suggestion}" in found["message"]
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if new in row)
    assert (found["file"], found["line"]) == (str(path), line)
    assert found["column"] == path.read_text().splitlines()[line - 1].index(shown) + 1
    assert violations(report, "UnknownReference") == []  # reported once, as a term


def test_terms_of_the_reused_vocabularies_are_allowed_not_only_those_the_ontology_names(
        tmp_path: Path, data_copy: Path) -> None:
    text = VALID.read_text().replace(
        "cs:merton-2024 a ckg:CaseStudy ;",
        'cs:merton-2024 a ckg:CaseStudy ;\n    dcterms:creator "Ann Officer" ;\n'
        '    skos:note "Sent in by the council." ;\n'
        '    prov:generatedAtTime "2024-03-20T10:00:00Z"^^xsd:dateTime ;', 1)
    if "@prefix skos:" not in text:
        text = "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n" + text
    path = tmp_path / "more-terms.ttl"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["validate", str(path), "--data-dir", str(data_copy)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("triple", "shown", "why"), [
    ('cs:merton-2024 schema:name "Merton" .', "schema:name", "is not a property compact-kg knows"),
    ("cs:merton-2024 a mtype:compact-champions .", "mtype:compact-champions",
     "it is a value of one of the vocabularies"),
    ("cs:merton-2024 area:merton area:merton .", "area:merton",
     "it is something the dataset describes"),
    ("cs:merton-2024 a ckg:area .", "ckg:area", "it is a property"),
    ('cs:merton-2024 ckg:note "x"^^xsd:dat .', "xsd:dat", "is not a datatype"),
])
def test_a_term_from_elsewhere_or_in_the_wrong_role_is_undeclared(
        triple: str, shown: str, why: str, tmp_path: Path, data_copy: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    prefixes = "@prefix schema: <https://schema.org/> .\n"
    path = tmp_path / "elsewhere.ttl"
    path.write_text(prefixes + VALID.read_text() + "\n" + triple + "\n")
    report, _ = both(caplog, path, data_copy, 1)
    found = [r for r in violations(report, "UndeclaredTerm") if shown in (r["path"], r["value"])]
    assert found and why in found[0]["message"], violations(report, "UndeclaredTerm")
    assert found[0]["line"] is not None and found[0]["column"] is not None


def _term_uses(graph: Graph) -> set[tuple[URIRef, str]]:
    """(IRI, role) of every class and property the model or shapes use as one."""
    uses = set()
    for _s, p, o in graph:
        uses.add((p, "property"))
        if p in (RDF.type, RDFS.subClassOf, RDFS.domain, RDFS.range, SH["class"],
                 SH.targetClass) and isinstance(o, URIRef):
            uses.add((o, "class"))
        if p in (RDFS.subPropertyOf, SH.path, SH.targetSubjectsOf) and isinstance(o, URIRef):
            uses.add((o, "property"))
        if p == SH.datatype:
            uses.add((o, "datatype"))
    return uses


def test_every_term_the_ontology_and_shapes_use_is_declared() -> None:
    """One source of truth: the bundled term lists cover what the model reuses."""
    model, shapes = load_model(), load_shapes()
    declared = declared_terms(model, shapes)
    assert {v.prefix for v in declared.reused} >= {"dcterms", "org", "owl", "prov", "rdf",
                                                   "rdfs", "skos", "time", "xsd"}
    sh = str(SH)

    def declared_as(iri: URIRef, role: str) -> bool:
        if str(iri).startswith(sh):  # the shapes' own terms: never allowed in a submission
            return True
        if role == "class" and declared.is_declared(iri, "datatype"):  # rdfs:range xsd:string
            return True
        return declared.is_declared(iri, role)

    missing = sorted(f"{iri} ({role})" for iri, role in _term_uses(model) | _term_uses(shapes)
                     if not declared_as(iri, role))
    assert missing == []


def test_the_bundled_term_lists_say_where_they_come_from() -> None:
    bundle = json.loads(REUSED_TERMS_FILE.read_text(encoding="utf-8"))
    namespaces = [v["namespace"] for v in bundle["vocabularies"]]
    assert len(namespaces) == len(set(namespaces))
    for vocabulary in bundle["vocabularies"]:
        assert vocabulary["source"].startswith(f"@vocabulary/{vocabulary['prefix']}@")
        assert re.fullmatch(r"[0-9a-f]{64}", vocabulary["sha256"])
        assert vocabulary["classes"] or vocabulary["properties"] or vocabulary["datatypes"]
    dcterms = next(v for v in bundle["vocabularies"] if v["prefix"] == "dcterms")
    assert {"title", "creator", "issued", "isPartOf"} <= set(dcterms["properties"])
    assert "titel" not in dcterms["properties"]


# ---------------------------------------------------------------------------------------------
# b) ill-formed typed literals
# ---------------------------------------------------------------------------------------------

BAD_LITERALS = [
    ("12345678901234567890123456789012345678-01-01", "date", "year has four digits"),
    ("2011-13-45", "date", 'written like "2010-03-31"'),
    ("2011-02-29", "date", "2011-02 has 28 days"),
    ("abc", "decimal", 'written like "58.5"'),
    ("x", "integer", "a whole number"),
    ("20111", "gYear", "a year of four digits"),
    ("2011-13", "gYearMonth", 'written like "2010-03"'),
    ("yes", "boolean", '"true" or "false"'),
    ("2011-01-01T25:00:00", "dateTime", 'written like "2010-03-31T09:30:00"'),
]


@pytest.mark.parametrize(("lexical", "datatype", "why"), BAD_LITERALS,
                         ids=[f"{d}-{v[:12]}" for v, d, _ in BAD_LITERALS])
def test_ill_typed_literal_is_a_violation_at_its_position_without_a_traceback(
        lexical: str, datatype: str, why: str, tmp_path: Path, data_copy: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    text = VALID.read_text()
    assert '"2024-03-14"^^xsd:date' in text
    path = tmp_path / "ill-typed.ttl"
    path.write_text(text.replace('"2024-03-14"^^xsd:date', f'"{lexical}"^^xsd:{datatype}'))
    report, submitted = both(caplog, path, data_copy, 1)
    (found,) = violations(report, "IllTypedLiteral")
    token = f'"{lexical}"^^xsd:{datatype}'
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if token in row)
    column = path.read_text().splitlines()[line - 1].index(token) + 1
    assert (found["file"], found["line"], found["column"]) == (str(path), line, column)
    assert found["path"] == "dcterms:issued"
    assert why in found["message"] and f"xsd:{datatype}" in found["message"]
    assert f"{path}:{line}:{column}:" in submitted.stdout


def test_ill_typed_literal_leaves_stderr_empty_in_the_real_command(
        tmp_path: Path, data_copy: Path) -> None:
    path = tmp_path / "ill-typed.ttl"
    path.write_text(VALID.read_text().replace(
        '"2024-03-14"^^xsd:date', '"12345678901234567890123456789012345678-01-01"^^xsd:date'))
    before = tree_hash(data_copy)
    for command in ("validate", "submit"):
        done = subprocess.run(
            [sys.executable, "-c", "from compact_kg.cli import main; main()", command, str(path),
             "--data-dir", str(data_copy)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stdout + done.stderr
        assert done.stderr == ""
        assert "Values must be written as their datatype requires" in done.stdout
    assert tree_hash(data_copy) == before


@pytest.fixture
def home_with_a_bad_date(tmp_path: Path) -> Path:
    """A copy of the checkout whose data has one ill-typed date."""
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    surrey = tmp_path / "data" / "case-studies" / "surrey.ttl"
    text = surrey.read_text(encoding="utf-8")
    assert 'ckg:date "2011-03"^^xsd:gYearMonth' in text
    surrey.write_text(text.replace('ckg:date "2011-03"^^xsd:gYearMonth',
                                   'ckg:date "2011-13"^^xsd:gYearMonth', 1), encoding="utf-8")
    return tmp_path


def test_whole_dataset_validation_reports_an_ill_typed_literal_of_data(
        home_with_a_bad_date: Path, caplog: pytest.LogCaptureFixture) -> None:
    surrey = home_with_a_bad_date / "data" / "case-studies" / "surrey.ttl"
    line = next(i for i, row in enumerate(surrey.read_text().splitlines(), 1)
                if '"2011-13"' in row)
    result = invoke(caplog, "validate", env={"COMPACT_KG_HOME": str(home_with_a_bad_date)})
    assert result.exit_code == 1, result.output
    assert f"{surrey}:{line}:14: " in result.stdout
    assert '"2011-13" is not a valid xsd:gYearMonth' in result.stdout
    assert result.stderr == ""
    one = invoke(caplog, "validate", "--format", "json", str(surrey),
                 env={"COMPACT_KG_HOME": str(home_with_a_bad_date)})
    assert one.exit_code == 1
    (found,) = [r for r in json.loads(one.stdout)["results"]
                if r["shape"] == RULES + "IllTypedLiteral"]
    assert (found["line"], found["column"]) == (line, 14)


def test_screened_and_plain_validation_report_the_same_ill_typed_literal(
        home_with_a_bad_date: Path) -> None:
    from compact_kg import scale, validate

    paths = default_paths(home_with_a_bad_date)
    plain = [r.to_dict() for r in validate.validate_dataset(paths, plain=True).results
             if r.shape == str(literals.RULE)]
    assert len(plain) == 1
    for processes in (1, 2):
        screened = scale.validate_screened(paths, processes=processes)
        assert [r.to_dict() for r in screened.results if r.shape == str(literals.RULE)] == plain


def test_the_dataset_and_the_valid_submissions_have_no_ill_typed_literal() -> None:
    files = [*default_paths().data_files(), *sorted((ROOT / "tests" / "submissions").glob(
        "*-valid-*.ttl"))]
    graph = Graph()
    for file in files:
        rdfio.read_turtle(file, graph)
    assert literals.ill_typed(graph) == []


@pytest.mark.parametrize(("lexical", "datatype", "good"), [
    ("2012-02-29", "date", True), ("2011-02-29", "date", False), ("2010-03-31Z", "date", True),
    ("2010-03-31+14:00", "date", True), ("2010-03-31+15:00", "date", False),
    ("-0044-03-15", "date", True), ("20100331", "date", False), ("2010", "gYear", True),
    ("0000", "gYear", True), ("02010", "gYear", False), ("2010-03", "gYearMonth", True),
    ("58.0", "decimal", True), (".5", "decimal", True), ("1e5", "decimal", False),
    ("NaN", "decimal", False), ("1E5", "double", True), ("INF", "double", True),
    ("42", "integer", True), (" 42", "integer", False), ("1_000", "integer", False),
    ("\u0663", "integer", False), ("0", "positiveInteger", False),
    ("7", "positiveInteger", True), ("128", "byte", False), ("true", "boolean", True),
    ("1", "boolean", True), ("True", "boolean", False), ("2010-03-31T24:00:00", "dateTime", True),
    ("2010-03-31T24:00:01", "dateTime", False), ("09:30:00", "time", True),
    ("P1Y6M", "duration", True), ("P", "duration", False), ("PT", "duration", False),
    ("--02-29", "gMonthDay", True), ("--02-30", "gMonthDay", False), ("0FB7", "hexBinary", True),
    ("0FB", "hexBinary", False), ("SGVsbG8=", "base64Binary", True),
    ("SGVsbG8", "base64Binary", False), ("en-GB", "language", True), ("en_GB", "language", False),
    ("anything at all", "string", True),
])
def test_lexical_spaces_of_the_xsd_datatypes(lexical: str, datatype: str, good: bool) -> None:
    literal = Literal(lexical, datatype=URIRef(XSD + datatype), normalize=False)
    assert (literals.problem(literal) is None) is good


# ---------------------------------------------------------------------------------------------
# c) file names derived from IRIs
# ---------------------------------------------------------------------------------------------

AWKWARD = [
    CS + "a" * 300, CS + "a" * 300 + "b", CS + "merton-" + "x" * 290, CS + "merton-" + "x" * 291,
    CS + "a%2Fb", CS + "a%2F..%2F..%2Fetc", CS + "a-b", CS + "caf\u00e9", CS + "\u5317\u4eac",
    CS + "..", CS + ".hidden", CS + "CON", CS + "con", CS + "nul", CS + "x\u0001y", CS,
    CS + "Merton", "http://example.org/alice", "http://example.org/" + "z" * 300,
]


def test_file_names_for_awkward_iris_are_bounded_safe_and_distinct() -> None:
    names = [file_name_for(iri) for iri in AWKWARD]
    for iri, name in zip(AWKWARD, names, strict=True):
        assert len(name) <= MAX_FILE_NAME, name
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.ttl", name), (iri, name)
        assert not re.fullmatch(r"(con|prn|aux|nul|com\d|lpt\d)\.ttl", name)
    assert len(set(names)) == len(names), names
    assert file_name_for(CS + "merton-2024") == "merton-2024.ttl"  # a plain slug stays as is


@pytest.mark.parametrize("slug", ["a" * 300, "a%2Fb", "caf\u00e9-2024"],
                         ids=["300-characters", "percent-2F", "unicode"])
def test_case_study_with_an_awkward_iri_is_stored_under_a_safe_name(
        slug: str, tmp_path: Path, data_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "awkward.ttl"
    path.write_text(VALID.read_text().replace("cs:merton-2024", f"cs:{slug}"))
    outside = tree_hash(data_copy)
    checked = invoke(caplog, "validate", str(path), "--data-dir", str(data_copy))
    assert checked.exit_code == 0, checked.output
    result = invoke(caplog, "submit", str(path), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.output
    (stored,) = (data_copy / "submissions").iterdir()
    assert stored.name == file_name_for(CS + slug)
    assert len(stored.name) <= MAX_FILE_NAME
    assert isomorphic(rdfio.read_rdf(stored), rdfio.read_rdf(path))
    stored.unlink()
    (data_copy / "submissions").rmdir()
    assert tree_hash(data_copy) == outside


# ---------------------------------------------------------------------------------------------
# d) the size of a submission, in triples
# ---------------------------------------------------------------------------------------------


def _many_triples(count: int, tail: str = "") -> str:
    objects = ", ".join(str(n) for n in range(count))
    return ("@prefix ckg: <https://w3id.org/compact-kg/def/> .\n"
            f"<https://w3id.org/compact-kg/id/case-study/big> ckg:pageStart {objects} .\n{tail}")


@pytest.mark.parametrize("suffix", [".ttl", ".nt"])
def test_submission_of_too_many_triples_is_refused_while_it_is_read(
        suffix: str, tmp_path: Path, data_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    # what follows the limit is broken: had the whole file been parsed, the error would be
    # a syntax error, not the limit
    path = tmp_path / f"big{suffix}"
    if suffix == ".ttl":
        path.write_text(_many_triples(MAX_SUBMISSION_TRIPLES + 1, "this is not Turtle"))
    else:
        path.write_text("".join(
            f"<http://example.org/s> <http://example.org/p> \"{n}\" .\n"
            for n in range(MAX_SUBMISSION_TRIPLES + 1)) + "not N-Triples\n")
    _, submitted = both(caplog, path, data_copy, 2)
    message = submitted.stderr.strip()
    assert f"a submission holds at most {MAX_SUBMISSION_TRIPLES:,} triples" in message
    assert "Split it into one file per case study" in message


def test_submission_at_the_limit_is_read() -> None:
    path = Path(__file__).parent / "submissions" / "01-valid-merton-grants-panel.ttl"
    assert len(rdfio.read_rdf(path, max_triples=len(rdfio.read_rdf(path)))) > 0


def test_whole_dataset_validation_is_not_bound_by_the_submission_limit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    big = tmp_path / "data" / "reference" / "many-labels.ttl"
    big.write_text("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + "".join(
        f'<https://w3id.org/compact-kg/id/note/n{n}> rdfs:label "note {n}"@en-GB .\n'
        for n in range(MAX_SUBMISSION_TRIPLES + 1000)))
    result = invoke(caplog, "validate", env={"COMPACT_KG_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "The dataset conforms" in result.stdout
    checked = invoke(caplog, "validate", str(VALID), "--data-dir", str(tmp_path / "data"),
                     env={"COMPACT_KG_HOME": str(tmp_path)})
    assert checked.exit_code == 0, checked.output


def test_the_readme_names_the_reused_vocabularies_as_they_are() -> None:
    declared = declared_terms(load_model(), load_shapes())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = re.search(r"shapes refer to: today ([a-z, ]+)\)", readme)
    assert listed is not None
    assert set(listed.group(1).split(", ")) == {v.prefix for v in declared.reused}
