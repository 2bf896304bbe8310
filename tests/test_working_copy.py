"""Where the data comes from: --home, COMPACT_KG_HOME, the working copy around the current
folder, the source tree or the package's copy; `compact-kg init`; a curator's working copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from compact_kg import __version__
from compact_kg.cli import cli
from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths, default_paths, find_working_copy, locate_home
from tests.test_packaging import repo_graph

ROOT = Path(__file__).resolve().parents[1]
NEW_AREA = Path(__file__).resolve().parent / "submissions" / "02-valid-new-area-reading.ttl"
CASE_STUDY = "https://w3id.org/compact-kg/def/CaseStudy"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env={"COMPACT_KG_HOME": None, **(env or {})})


@pytest.fixture(scope="module")
def working_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("copies") / "my-compact-kg"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    return target


def test_init_copies_ontology_data_and_queries_byte_for_byte(working_copy: Path):
    copied = {p.relative_to(working_copy).as_posix(): p.read_bytes()
              for folder in ("ontology", "data", "queries")
              for p in sorted((working_copy / folder).rglob("*")) if p.is_file()}
    assert copied == repo_graph()
    assert not (working_copy / "data" / "submissions").exists()


def test_init_writes_a_readme_for_curators(working_copy: Path):
    readme = (working_copy / "README.md").read_text(encoding="utf-8")
    for needed in ("compact-kg new case-study", "compact-kg validate", "compact-kg submit",
                   "--home", "COMPACT_KG_HOME", str(working_copy)):
        assert needed in readme


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith(f"error: {tmp_path}: the folder is not empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_fills_an_empty_folder(tmp_path: Path):
    target = tmp_path / "empty"
    target.mkdir()
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / "ontology" / "compact.ttl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no staging folder left


def test_a_curator_adds_a_case_study_to_a_working_copy(tmp_path: Path):
    home = tmp_path / "copy"
    assert run("init", str(home)).exit_code == 0
    submitted = run("--home", str(home), "submit", "--no-cache", "--quiet", str(NEW_AREA))
    assert submitted.exit_code == 0, submitted.output
    assert "new case study: https://w3id.org/compact-kg/id/case-study/reading" in submitted.output
    assert [p.name for p in (home / "data" / "submissions").iterdir()] == ["reading.ttl"]
    assert not (ROOT / "data" / "submissions" / "reading.ttl").exists()

    listed = run("--home", str(home), "query", "labels", "-p", f"type={CASE_STUDY}",
                 "--format", "csv")
    assert listed.exit_code == 0, listed.output
    assert "https://w3id.org/compact-kg/id/case-study/reading," in listed.output
    # The environment variable names the same copy; the checkout has no such case study.
    by_env = run("query", "labels", "-p", f"type={CASE_STUDY}", "--format", "csv",
                 env={"COMPACT_KG_HOME": str(home)})
    assert by_env.output == listed.output
    in_checkout = run("query", "labels", "-p", f"type={CASE_STUDY}", "--format", "csv")
    assert "case-study/reading," not in in_checkout.output

    site = tmp_path / "site"
    published = run("--home", str(home), "publish", "--quiet", "--out", str(site))
    assert published.exit_code == 0, published.output
    page = (site / "id" / "case-study" / "reading.html").read_text(encoding="utf-8")
    assert "Reading" in page


def test_commands_inside_a_working_copy_use_it(working_copy: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(working_copy / "data" / "case-studies")
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.splitlines()[1] == (
        f"data: working copy {working_copy} (the working copy around the current folder)")


def test_version_names_package_dataset_and_data(working_copy: Path):
    for args in (["--home", str(working_copy), "--version"],
                 ["--version", "--home", str(working_copy)]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert result.output == (f"compact-kg {__version__}, dataset 0.1.0\n"
                                 f"data: working copy {working_copy} (from --home)\n")
    by_env = run("--version", env={"COMPACT_KG_HOME": str(working_copy)})
    assert by_env.output.splitlines()[1] == (
        f"data: working copy {working_copy} (from COMPACT_KG_HOME)")


def test_the_dataset_version_is_the_ontologys_version_info(tmp_path: Path):
    (tmp_path / "ontology").mkdir()
    (tmp_path / "ontology" / "compact.ttl").write_text(
        '<x> <y> "z" .\n<o> a <C> ;\n    owl:versionInfo  "2.3.0-rc1" .\n', encoding="utf-8")
    assert ProjectPaths(tmp_path).dataset_version() == "2.3.0-rc1"
    assert ProjectPaths(tmp_path / "nowhere").dataset_version() is None


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run([sys.executable, "-m", "compact_kg", "--version"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.startswith(f"compact-kg {__version__}, dataset 0.1.0\ndata: ")


@pytest.mark.parametrize(("args", "env", "setting"), [
    (["--home", "{missing}", "query", "--list"], {}, "--home"),
    (["query", "--list"], {"COMPACT_KG_HOME": "{missing}"}, "COMPACT_KG_HOME"),
    (["--home", "{missing}", "validate"], {}, "--home"),
])
def test_a_home_without_the_project_files_names_the_setting(tmp_path: Path, args, env, setting):
    missing = str(tmp_path / "no-copy-here")
    result = run(*[a.format(missing=missing) for a in args],
                 env={k: v.format(missing=missing) for k, v in env.items()})
    assert result.exit_code == 2
    assert result.output == (
        f"error: {setting}{' ' if setting == '--home' else '='}{missing} is not a compact-kg "
        "working copy: it has no ontology/compact.ttl, ontology/shapes.ttl, data/ or queries/. "
        f"{'Give --home' if setting == '--home' else 'Set COMPACT_KG_HOME to'} a folder made by "
        f"`compact-kg init DIR`, or {'leave --home out' if setting == '--home' else 'unset it'} "
        "to use the package's own copy\n")


def test_a_broken_package_copy_names_the_settings_not_its_path(tmp_path: Path):
    broken = ProjectPaths(tmp_path / "site-packages" / "compact_kg" / "_graph", "package")
    with pytest.raises(InputError) as caught:
        broken.check()
    message = str(caught.value)
    assert "site-packages" not in message and str(tmp_path) not in message
    assert "--home" in message and "COMPACT_KG_HOME" in message and "compact-kg init" in message


def test_an_incomplete_working_copy_says_what_is_missing(working_copy: Path, tmp_path: Path):
    partial = tmp_path / "partial"
    assert run("init", str(partial)).exit_code == 0
    (partial / "ontology" / "shapes.ttl").unlink()
    result = run("--home", str(partial), "validate")
    assert result.exit_code == 2
    assert "it has no ontology/shapes.ttl." in result.output


def test_the_library_reads_no_environment(monkeypatch: pytest.MonkeyPatch, working_copy: Path):
    monkeypatch.setenv("COMPACT_KG_HOME", str(working_copy))
    monkeypatch.chdir(working_copy)
    assert default_paths() == ProjectPaths(ROOT)
    assert default_paths().source == "source tree"
    assert locate_home() == ProjectPaths(ROOT)


def test_the_working_copy_is_found_from_below_it(working_copy: Path, tmp_path: Path):
    assert find_working_copy(working_copy / "queries") == working_copy
    assert find_working_copy(tmp_path) is None
    assert locate_home(cwd=tmp_path) == default_paths()


def test_errors_name_no_path_inside_the_installed_package(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    import compact_kg.paths

    graph = tmp_path / "lib" / "site-packages" / "compact_kg" / "_graph"
    (graph / "queries").mkdir(parents=True)
    monkeypatch.setattr(compact_kg.paths, "package_paths", lambda: ProjectPaths(graph, "package"))
    from compact_kg.cli import _without_package_paths

    assert _without_package_paths(f"no saved query named 'x' in {graph / 'queries'}; run it") \
        == "no saved query named 'x' in queries of the package's copy; run it"
    assert _without_package_paths(f"{graph / 'data/a.ttl'}:3:1: bad") \
        == "data/a.ttl of the package's copy:3:1: bad"
    assert _without_package_paths(f"cannot read {graph}") == \
        "cannot read the graph of the package's copy"
    assert _without_package_paths("nothing to change") == "nothing to change"


def test_a_closed_pipe_ends_the_command_quietly():
    # Regression: `compact-kg query --list | head -1` said "unexpected problem:
    # BrokenPipeError ... Please report it."
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "compact_kg", "query", "--list"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader goes away before anything is written
    _, errors = process.communicate(timeout=120)
    assert b"unexpected problem" not in errors and b"Traceback" not in errors, errors
    assert process.returncode == 2
