"""Submissions: templates, validation against the dataset, refused input, atomic submit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from compact_kg import rdfio
from compact_kg.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "submissions"
DATA = ROOT / "data"
VALID = FIXTURES / "01-valid-merton-grants-panel.ttl"
_EXPECT = re.compile(r"^# expect: (?:(conforms)|(\d+) (\S+)(?: (\S+))?)\s*$")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def tree_hash(folder: Path) -> str:
    """A hash of every file path and content under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def expectations(path: Path) -> tuple[bool, set[tuple[int, str]], dict[tuple[int, str], str]]:
    conforms, expected, hints = False, set(), {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _EXPECT.match(line)
        if not match:
            continue
        if match[1]:
            conforms = True
        else:
            key = (int(match[2]), match[3])
            expected.add(key)
            if match[4]:
                hints[key] = match[4]
    return conforms, expected, hints


# ---------------------------------------------------------------------------------------------
# Realistic submissions, each with its expected verdict, rules and lines
# ---------------------------------------------------------------------------------------------

ALL_FIXTURES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".ttl", ".jsonld", ".rdf"))


def test_there_are_at_least_twenty_realistic_submissions() -> None:
    assert len(ALL_FIXTURES) >= 20
    assert sum("-valid-" in p.name for p in ALL_FIXTURES) >= 4


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.stem)
def test_fixture_verdict_rules_and_lines(path: Path) -> None:
    result = run("validate", "--format", "json", str(path))
    report = json.loads(result.stdout)
    violations = [r for r in report["results"] if r["severity"] == "Violation"]
    if "-valid-" in path.name:
        assert result.exit_code == 0, violations
        assert report["conforms"] is True
        assert violations == []
        if path.suffix == ".ttl":
            assert expectations(path)[0], "a valid fixture says '# expect: conforms'"
        return
    conforms, expected, hints = expectations(path)
    assert not conforms and expected, "an invalid fixture lists '# expect: LINE RULE' lines"
    assert result.exit_code == 1
    got = {(r["line"], _rule(r["shape"])) for r in violations}
    assert got == expected
    for r in violations:
        assert r["file"] == str(path)
        assert r["column"] is not None and r["column"] >= 1
        hint = hints.get((r["line"], _rule(r["shape"])))
        if hint:
            assert hint in r["message"]


def _rule(shape: str) -> str:
    for prefix, ns in (("shapes", "https://w3id.org/compact-kg/shapes/"),
                       ("submission", "https://w3id.org/compact-kg/submission/")):
        if shape.startswith(ns):
            return f"{prefix}:{shape[len(ns):]}"
    return shape


def test_text_report_groups_by_rule_with_lines_and_completeness() -> None:
    path = FIXTURES / "05-invalid-unknown-area.ttl"
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "References must resolve (Violation, 1 result)" in result.stdout
    assert f"{path}:29:5:" in result.stdout
    assert "Did you mean area:merton?" in result.stdout
    assert "does not conform: 1 violation" in result.stdout
    assert re.search(r"^Completeness: \d+% \(\d+ of \d+ fields", result.stdout, re.M)


def test_several_errors_are_all_reported_at_once(tmp_path: Path) -> None:
    text = VALID.read_text()
    text = text.replace("ckg:area area:merton ;\n    ckg:theme",
                        "ckg:area area:mertn ;\n    ckg:theme")
    text = text.replace("ckg:value 58.0 ;", 'ckg:value "58%" ;')
    text = text.replace('    dcterms:publisher "Wimbledon and Morden Courier" ;\n', "")
    path = tmp_path / "three.ttl"
    path.write_text(text)
    report = json.loads(run("validate", "--format", "json", str(path)).stdout)
    rules = {_rule(r["shape"]) for r in report["results"] if r["severity"] == "Violation"}
    assert rules == {"submission:UnknownReference", "shapes:MeasurementMustHaveExactlyOneValue",
                     "shapes:PercentageMustBeBetween0And100",  # "58%" is no number from 0 to 100
                     "shapes:PublicationMustNameItsPublisher"}


def test_sarif_output() -> None:
    path = FIXTURES / "06-invalid-misspelt-mechanism-type.ttl"
    result = run("validate", "--format", "sarif", str(path))
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run0["tool"]["driver"]["rules"]]
    assert "shapes:CaseStudyMustHaveATheme" in rule_ids  # rules come from the shapes
    assert "submission:UnknownReference" in rule_ids
    (res,) = run0["results"]
    assert res["ruleId"] == "submission:UnknownReference"
    assert res["level"] == "error"
    assert rule_ids[res["ruleIndex"]] == res["ruleId"]
    assert "mtype:commissioning-reform" in res["message"]["text"]
    location = res["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == path.as_posix()
    assert location["region"] == {"startLine": 45, "startColumn": 5}


def test_sarif_warnings_are_level_warning() -> None:
    sarif = json.loads(run("validate", "--format", "sarif",
                           str(FIXTURES / "02-valid-new-area-reading.ttl")).stdout)
    levels = {r["level"] for r in sarif["runs"][0]["results"]}
    assert levels <= {"warning", "note"}


def test_validate_without_arguments_still_validates_the_dataset() -> None:
    result = run("validate")
    assert result.exit_code in (0, 1)  # the verdict on data/ itself is the shapes' business
    assert re.search(r"^The dataset (conforms|does not conform)", result.stdout, re.M)
    assert "Completeness" not in result.stdout


# ---------------------------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------------------------

FILL = {  # what a submitter writes in place of each placeholder (an exact, ordered edit list)
    "theme:TODO-choose-a-theme": "theme:resourcing-the-compact",
    "mtype:TODO-choose-a-type": "mtype:commissioning-reform",
    "otype:TODO-choose-a-type": "otype:commissioning-improved",
    "etype:TODO-choose-a-type": "etype:funding-decision",
    "role:TODO-choose-a-role": "role:compact-officer",
    "ptype:TODO-choose-a-type": "ptype:newspaper-article",
    "https://TODO.example/address-of-the-article": "https://www.localcourier.example/news/grants",
    "unit:TODO-choose-a-unit": "unit:organisation",
    "atype:TODO-choose-a-type": "atype:unitary-authority",
    "region:TODO-choose-a-region": "region:south-east",
    "TODO-E00000000": "E06000038",
    '"TODO-XXX"': '"RDG"',
    "TODO-area": "reading",
    "TODO-council-name": "reading-borough-council",
    "-TODO-organisation-name": "-voluntary-action",
    "-TODO-mechanism-name": "-joint-grants-panel",
    "-TODO-outcome-name": "-more-small-grants",
    "-TODO-post-name": "-grants-officer",
    "-TODO-what-happened": "-grants-panel-set-up",
    "-TODO-what-is-counted": "-grant-applications",
    "TODO-newspaper-headline": "local-courier",
    "TODO-newspaper-": "courier-",
    "ckg:value 0.0": "ckg:value 40.0",
}


def fill(template: str) -> str:
    for old, new in FILL.items():
        template = template.replace(old, new)
    # free text: any remaining "TODO ..." inside a literal becomes plain words
    return re.sub(r'"[^"\n]*TODO[^"\n]*"', '"Written by the submitter in their own words"',
                  template)


def test_template_for_an_existing_area_lists_iris_and_validates_once_filled(tmp_path: Path) -> None:
    result = run("new", "case-study", "--area", "MERTON", "--year", "2031")
    assert result.exit_code == 0
    skeleton = result.stdout
    assert "ckg:area area:merton" in skeleton
    assert "organisation:london-borough-of-merton" in skeleton
    assert "mtype:compact-champions" in skeleton and "Compact champions" in skeleton
    assert "qualifier:more-than" in skeleton and "unit:pound-sterling" in skeleton
    assert "theme:managing-cuts" in skeleton
    Graph().parse(data=skeleton, format="turtle")  # parses before it is filled
    raw = tmp_path / "raw.ttl"
    raw.write_text(skeleton)
    unfilled = run("validate", str(raw))
    assert unfilled.exit_code == 1 and "Template placeholders must be replaced" in unfilled.stdout
    filled = tmp_path / "filled.ttl"
    filled.write_text(fill(skeleton))
    assert "TODO" not in re.sub(r"#.*", "", filled.read_text())
    report = run("validate", str(filled))
    assert report.exit_code == 0, report.stdout
    assert "conforms" in report.stdout


def test_template_for_a_new_area_validates_once_filled(tmp_path: Path) -> None:
    skeleton = run("new", "case-study", "--year", "2031").stdout
    assert "a ckg:Area" in skeleton and "a ckg:Council" in skeleton
    filled = tmp_path / "new-area.ttl"
    filled.write_text(fill(skeleton))
    report = run("validate", str(filled))
    assert report.exit_code == 0, report.stdout


def test_template_lists_every_event_type_role_and_publication_type() -> None:
    from compact_kg.context import DatasetContext, curie
    from compact_kg.paths import default_paths

    skeleton = run("new", "case-study", "--area", "Merton", "--year", "2031").stdout
    context = DatasetContext.load(default_paths(ROOT))
    for scheme in ("event-type", "role", "publication-type"):
        concepts = context.concepts(scheme)
        assert concepts, scheme
        missing = [curie(c.iri) for c in concepts if curie(c.iri) not in skeleton]
        assert missing == [], scheme
    assert "a ckg:Event" in skeleton and "a org:Post" in skeleton and "foaf:page" in skeleton


def test_template_of_a_web_article_cited_as_a_whole_validates(tmp_path: Path) -> None:
    skeleton = fill(run("new", "case-study", "--area", "Merton", "--year", "2031").stdout)
    web = skeleton.replace("ptype:newspaper-article", "ptype:web-article")
    web = re.sub(r';\n(\s*#[^\n]*\n)*\s*ckg:pageStart "1"\^\^xsd:positiveInteger ;\n'
                 r'\s*ckg:section "[^"]*" \.', " .", web)
    assert "ckg:pageStart" not in re.sub(r"#.*", "", web)
    path = tmp_path / "web.ttl"
    path.write_text(web)
    report = run("validate", str(path))
    assert report.exit_code == 0, report.stdout


def test_template_for_a_region_names_the_region() -> None:
    skeleton = run("new", "case-study", "--area", "North East", "--year", "2031").stdout
    assert "ckg:area region:north-east" in skeleton
    assert "a ckg:Area" not in skeleton


def test_template_unknown_area_says_did_you_mean() -> None:
    result = CliRunner().invoke(cli, ["new", "case-study", "--area", "Surey"])
    assert result.exit_code == 2
    assert "Did you mean 'Surrey'?" in result.output
    assert "Traceback" not in result.output


def test_template_out_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "cs.ttl"
    assert run("new", "case-study", "--area", "Bristol", "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    again = CliRunner().invoke(cli, ["new", "case-study", "--area", "Bristol", "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert out.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# Submit
# ---------------------------------------------------------------------------------------------


def test_submit_stores_pretty_turtle_and_reports_what_was_added(data_copy: Path) -> None:
    result = run("submit", str(VALID), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.stdout
    stored = data_copy / "submissions" / "merton-2024.ttl"
    assert stored.is_file()
    assert f"Submitted: wrote {stored}" in result.stdout
    assert "1 x Case study" in result.stdout and "2 x Measurement" in result.stdout
    assert "new case study: https://w3id.org/compact-kg/id/case-study/merton-2024" in result.stdout
    text = stored.read_text()
    assert "@prefix cs: <https://w3id.org/compact-kg/id/case-study/> ." in text
    assert "cs:merton-2024 a ckg:CaseStudy" in text
    assert isomorphic(rdfio.read_rdf(stored), rdfio.read_rdf(VALID))
    assert [p.name for p in stored.parent.iterdir()] == ["merton-2024.ttl"]


@pytest.mark.parametrize("name", ["03-valid-merton-as-json-ld.jsonld",
                                  "04-valid-reading-as-rdf-xml.rdf"])
def test_submit_accepts_other_formats_and_stores_turtle(data_copy: Path, name: str) -> None:
    result = run("submit", str(FIXTURES / name), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.stdout
    (stored,) = (data_copy / "submissions").iterdir()
    assert stored.suffix == ".ttl"
    assert isomorphic(rdfio.read_rdf(stored), rdfio.read_rdf(FIXTURES / name))


def test_submit_refuses_a_redefinition_and_leaves_data_untouched(data_copy: Path) -> None:
    assert run("submit", str(VALID), "--data-dir", str(data_copy)).exit_code == 0
    before = tree_hash(data_copy)
    again = CliRunner().invoke(cli, ["submit", str(VALID), "--data-dir", str(data_copy)])
    assert again.exit_code == 2
    message = again.output.strip()
    assert len(message.splitlines()) == 1
    assert "redefines" in message and "cs:merton-2024" in message
    assert "data/submissions/merton-2024.ttl" in message
    assert tree_hash(data_copy) == before


def test_submit_refuses_a_redefinition_of_reference_data(data_copy: Path) -> None:
    before = tree_hash(data_copy)
    result = CliRunner().invoke(cli, ["submit", str(FIXTURES / "13-invalid-redefines-the-area.ttl"),
                                      "--data-dir", str(data_copy)])
    assert result.exit_code == 2
    assert "area:merton (in data/reference/areas.ttl)" in result.output
    assert tree_hash(data_copy) == before


def test_submit_does_not_store_a_nonconforming_submission(data_copy: Path) -> None:
    before = tree_hash(data_copy)
    result = run("submit", str(FIXTURES / "09-invalid-value-as-text.ttl"),
                 "--data-dir", str(data_copy))
    assert result.exit_code == 1
    assert "Not submitted" in result.stdout
    assert tree_hash(data_copy) == before


def test_interrupted_submit_leaves_no_partial_file(data_copy: Path, tmp_path: Path) -> None:
    (data_copy / "submissions").mkdir()
    before = tree_hash(data_copy)
    env = dict(os.environ, COMPACT_KG_TEST_PAUSE_BEFORE_RENAME="30")
    process = subprocess.Popen(
        [sys.executable, "-c", "from compact_kg.cli import main; main()", "submit", str(VALID),
         "--data-dir", str(data_copy)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not list((data_copy / "submissions").glob(".*.tmp")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "submit never reached the write step"
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    leftovers = list((data_copy / "submissions").iterdir())
    assert not [p for p in leftovers if p.suffix == ".ttl"], "no partial or complete file"
    assert all(p.name.startswith(".") and p.suffix == ".tmp" for p in leftovers)
    # The stale temporary file is not part of the dataset...
    assert leftovers
    for stale in leftovers:
        os.utime(stale, (time.time() - 7200, time.time() - 7200))
    # ...and the next submit of the same file clears it once it is an hour old, while the
    # temporary file of a write that may still be running (a fresh one) is left alone.
    fresh = leftovers[0].with_name(leftovers[0].name.replace(".tmp", "x.tmp"))
    fresh.write_bytes(b"")
    result = run("submit", str(VALID), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.stdout + result.stderr
    remaining = {p.name for p in (data_copy / "submissions").iterdir()}
    assert not any(p.name in remaining for p in leftovers)
    assert fresh.name in remaining
    assert any(name.endswith(".ttl") and not name.startswith(".") for name in remaining)
    fresh.unlink()
    for stored in (data_copy / "submissions").glob("*.ttl"):
        stored.unlink()
    assert tree_hash(data_copy) == before


# ---------------------------------------------------------------------------------------------
# Untrusted input
# ---------------------------------------------------------------------------------------------


class Listener:
    """A loopback TCP listener that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _bad_inputs(port: int) -> dict[str, tuple[str, bytes, str]]:
    """name -> (file name, bytes, a phrase the one-line error must contain)."""
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY a "aaaaaaaaaa">\n'
            + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode()
                       for i in range(8))
            + b']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
              b'xmlns:e="http://e/"><rdf:Description rdf:about="http://e/x"><e:p>&i;</e:p>'
              b"</rdf:Description></rdf:RDF>\n")
    system = (f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM '
              f'"http://127.0.0.1:{port}/x">]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
              f'22-rdf-syntax-ns#" xmlns:e="http://e/"><rdf:Description rdf:about="http://e/x">'
              f"<e:p>&x;</e:p></rdf:Description></rdf:RDF>\n").encode()
    context = json.dumps({"@context": f"http://127.0.0.1:{port}/ctx", "@id": "http://e/x",
                          "p": "v"}).encode()
    nested = b"@prefix e: <http://e/> .\ne:x e:p " + b"(" * 5000 + b")" * 5000 + b" .\n"
    big = b'@prefix e: <http://e/> .\ne:x e:p "' + b"a" * (20 * 1024 * 1024) + b'" .\n'
    prefixes = VALID.read_bytes().split(b"\ncs:")[0]
    shapes = prefixes + (b"\n@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                         b"<https://w3id.org/compact-kg/shapes/CaseStudyMustHaveATheme> "
                         b"sh:deactivated true .\n")
    imports = prefixes + (b"\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                          b"cs:x owl:imports <http://127.0.0.1:" + str(port).encode() + b"/x> .\n")
    return {
        "entity-bomb": ("bomb.rdf", bomb, "bomb.rdf"),
        "system-entity": ("system.rdf", system, "system.rdf"),
        "json-ld-remote-context": ("remote.jsonld", context, "remote.jsonld"),
        "deeply-nested-list": ("nested.ttl", nested, "nested.ttl"),
        "20-mb-literal": ("big.ttl", big, "big.ttl"),
        "invalid-utf-8": ("latin1.ttl", "e:x e:p \"caf\u00e9\" .".encode("latin-1"), "latin1.ttl"),
        "empty-file": ("empty.ttl", b"", "empty.ttl"),
        "binary-file": ("binary.ttl", bytes(range(256)) * 4, "binary.ttl"),
        "wrong-format": ("turtle.rdf", VALID.read_bytes(), "turtle.rdf"),
        "shapes-in-submission": ("shapes.ttl", shapes, "may not contain shapes"),
        "owl-imports": ("imports.ttl", imports, "may not import"),
    }


BAD_NAMES = ["entity-bomb", "system-entity", "json-ld-remote-context", "deeply-nested-list",
             "20-mb-literal", "invalid-utf-8", "empty-file", "binary-file", "wrong-format",
             "shapes-in-submission", "owl-imports"]


@pytest.mark.parametrize("command", ["validate", "submit"])
@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_input_is_refused_cleanly(name: str, command: str, tmp_path: Path,
                                      data_copy: Path, listener: Listener) -> None:
    file_name, payload, phrase = _bad_inputs(listener.port)[name]
    path = tmp_path / file_name
    path.write_bytes(payload)
    before = tree_hash(data_copy)
    started = time.monotonic()
    result = CliRunner().invoke(cli, [command, str(path), "--data-dir", str(data_copy)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert phrase in lines[0]
    assert "Traceback" not in result.output
    assert elapsed < 10
    time.sleep(0.1)
    assert listener.connections == 0
    assert tree_hash(data_copy) == before


def test_missing_file_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["validate", "no-such-file.ttl"])
    assert result.exit_code == 2 and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# Property: any mutation of a valid submission ends in a verdict or a clean error
# ---------------------------------------------------------------------------------------------

_VALID_BYTES = VALID.read_bytes()
_LINES = _VALID_BYTES.split(b"\n")
_TOKENS = re.split(rb"(\s+)", _VALID_BYTES)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["delete-bytes", "duplicate-bytes", "swap-bytes", "delete-line",
                                 "duplicate-line", "swap-lines", "delete-token", "swap-tokens",
                                 "insert-byte"]))
    data = bytearray(_VALID_BYTES)
    n = len(data)
    if kind.endswith("bytes") or kind == "insert-byte":
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(i, min(n, i + 40)))
        if kind == "delete-bytes":
            del data[i:j]
        elif kind == "duplicate-bytes":
            data[i:i] = data[i:j]
        elif kind == "swap-bytes":
            k = draw(st.integers(0, n - 1))
            data[i], data[k] = data[k], data[i]
        else:
            data[i:i] = bytes([draw(st.integers(0, 255))])
        return bytes(data)
    if kind.endswith("line") or kind == "swap-lines":
        lines = list(_LINES)
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete-line":
            del lines[i]
        elif kind == "duplicate-line":
            lines.insert(i, lines[i])
        else:
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        return b"\n".join(lines)
    tokens = list(_TOKENS)
    i = draw(st.integers(0, len(tokens) - 1))
    if kind == "delete-token":
        del tokens[i]
    else:
        k = draw(st.integers(0, len(tokens) - 1))
        tokens[i], tokens[k] = tokens[k], tokens[i]
    return b"".join(tokens)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(payload=mutated())
def test_mutated_submission_gets_a_verdict_or_a_clean_error(payload: bytes, tmp_path: Path) -> None:
    path = tmp_path / "mutated.ttl"
    path.write_bytes(payload)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
    else:
        assert "Completeness:" in result.output
