"""The persistent dataset index (compact_kg.index): the same reports as the plain path,
kept up to date when data files change, never trusted when half-built, never an error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from compact_kg.cli import cli
from compact_kg.index import index_location
from compact_kg.submissions import format_check, validate_submissions
from tests.conftest import REPO_PATHS

FIXTURES = Path(__file__).resolve().parent / "submissions"
ALL_FIXTURES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".ttl", ".jsonld", ".rdf"))
UNKNOWN_AREA = FIXTURES / "05-invalid-unknown-area.ttl"  # refers to area:mertonn
VALID = FIXTURES / "01-valid-merton-grants-panel.ttl"  # refers to area:merton

NEW_AREA = """\
@prefix ckg:  <https://w3id.org/compact-kg/def/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/compact-kg/id/area/mertonn> a ckg:Area ; rdfs:label "Mertonn" .
"""


def report(submission: Path, data_dir: Path | None = None, cache: Path | None = None) -> str:
    """The JSON report of one submission, through the index under ``cache`` or without."""
    checks = validate_submissions([submission], REPO_PATHS, data_dir=data_dir, cache_dir=cache)
    return format_check(checks, "json")


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(REPO_PATHS.data_dir, target)
    return target


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.stem)
def test_the_index_gives_the_same_report_as_the_plain_path(path: Path, shared_cache: Path) -> None:
    assert report(path, cache=shared_cache) == report(path)


def test_an_added_edited_and_deleted_data_file_is_noticed(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = report(UNKNOWN_AREA, data_copy, cache)
    assert "UnknownReference" in before

    added = data_copy / "reference" / "extra.ttl"
    added.write_text(NEW_AREA, encoding="utf-8")
    after_add = report(UNKNOWN_AREA, data_copy, cache)
    assert after_add == report(UNKNOWN_AREA, data_copy)
    assert "UnknownReference" not in after_add

    added.write_text(NEW_AREA.replace("mertonn>", "elsewhere>"), encoding="utf-8")
    after_edit = report(UNKNOWN_AREA, data_copy, cache)
    assert after_edit == report(UNKNOWN_AREA, data_copy) == before

    valid_before = report(VALID, data_copy, cache)
    assert '"conforms": true' in valid_before
    (data_copy / "reference" / "areas.ttl").unlink()
    after_delete = report(VALID, data_copy, cache)
    assert after_delete == report(VALID, data_copy)
    assert '"conforms": false' in after_delete


def test_an_edit_that_keeps_size_and_mtime_is_noticed_while_racy(data_copy: Path,
                                                                 tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    added = data_copy / "reference" / "extra.ttl"
    added.write_text(NEW_AREA, encoding="utf-8")
    stat = added.stat()
    assert "UnknownReference" not in report(UNKNOWN_AREA, data_copy, cache)
    added.write_text(NEW_AREA.replace("mertonn>", "mertonx>"), encoding="utf-8")  # same size
    os.utime(added, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)
    assert "UnknownReference" in report(UNKNOWN_AREA, data_copy, cache)


def test_a_touched_file_keeps_the_same_report(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = report(VALID, data_copy, cache)
    os.utime(data_copy / "reference" / "areas.ttl", ns=(10**18, 10**18))
    assert report(VALID, data_copy, cache) == first


def test_a_bad_data_file_gives_the_plain_error_every_time(data_copy: Path,
                                                           tmp_path: Path) -> None:
    from compact_kg.errors import InputError

    cache = tmp_path / "cache"
    report(VALID, data_copy, cache)
    (data_copy / "reference" / "broken.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(InputError) as plain:
        report(VALID, data_copy)
    for _ in range(2):
        with pytest.raises(InputError) as cached:
            report(VALID, data_copy, cache)
        assert str(cached.value) == str(plain.value)
    (data_copy / "reference" / "broken.ttl").unlink()
    assert report(VALID, data_copy, cache) == report(VALID, data_copy)


def test_a_half_built_index_is_not_used(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    root = index_location(cache, data_copy.resolve())
    (root / "build-left-behind").mkdir(parents=True)
    (root / "store").mkdir()
    (root / "store" / "CURRENT").write_text("not a store\n", encoding="utf-8")
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)
    assert not (root / "build-left-behind").exists()
    assert (root / "manifest").is_file()


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args],
                          capture_output=True, text=True, timeout=120, check=False)


_KILLED = """
    import os, signal, sys
    from pathlib import Path
    from compact_kg import index
    from compact_kg.paths import default_paths
    index._FILES_PER_BATCH = 2
    def progress(done, total):
        if done >= int(sys.argv[4]):
            os.kill(os.getpid(), signal.SIGKILL)
    with index.dataset_context(default_paths(sys.argv[1]), Path(sys.argv[2]),
                               cache_dir=Path(sys.argv[3]), progress=progress):
        pass
"""


def test_a_killed_first_build_is_started_again(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    killed = _run(_KILLED, str(REPO_PATHS.root), str(data_copy), str(cache), "2")
    assert killed.returncode == -9
    root = index_location(cache, data_copy.resolve())
    assert not (root / "manifest").exists()
    assert list(root.glob("build-*"))
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)
    assert not list(root.glob("build-*"))


def test_a_killed_update_is_redone(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    report(VALID, data_copy, cache)
    (data_copy / "reference" / "extra.ttl").write_text(NEW_AREA, encoding="utf-8")
    areas = data_copy / "reference" / "areas.ttl"
    areas.write_text(areas.read_text(encoding="utf-8").replace("area:merton a ckg:Area",
                                                                "area:mertom a ckg:Area"),
                     encoding="utf-8")
    killed = _run(_KILLED, str(REPO_PATHS.root), str(data_copy), str(cache), "1")
    assert killed.returncode == -9
    for submission in (VALID, UNKNOWN_AREA):
        assert report(submission, data_copy, cache) == report(submission, data_copy)
    assert '"conforms": false' in report(VALID, data_copy, cache)


def test_a_damaged_manifest_or_store_is_rebuilt(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = report(UNKNOWN_AREA, data_copy)
    assert report(UNKNOWN_AREA, data_copy, cache) == expected
    root = index_location(cache, data_copy.resolve())
    (root / "manifest").write_bytes(b"garbage" * 10)
    assert report(UNKNOWN_AREA, data_copy, cache) == expected
    for file in (root / "store").iterdir():
        file.write_bytes(b"garbage")
    assert report(UNKNOWN_AREA, data_copy, cache) == expected
    assert report(UNKNOWN_AREA, data_copy, cache) == expected


def test_an_unwritable_cache_location_falls_back_to_the_plain_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    assert report(UNKNOWN_AREA, cache=blocker / "cache") == report(UNKNOWN_AREA)


def test_two_commands_at_once_share_one_index(data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "COMPACT_KG_CACHE": str(cache)}
    command = [sys.executable, "-c", "from compact_kg.cli import main; main()", "validate",
               "--format", "json", "--data-dir", str(data_copy), str(UNKNOWN_AREA)]
    running = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in running]
    assert [p.returncode for p in running] == [1, 1, 1]
    assert outputs[0] == outputs[1] == outputs[2] == report(UNKNOWN_AREA, data_copy)
    assert report(UNKNOWN_AREA, data_copy, cache) == outputs[0]


def test_the_cli_keeps_the_index_in_the_cache_folder(monkeypatch: pytest.MonkeyPatch,
                                                     data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("COMPACT_KG_CACHE", str(cache))
    args = ["validate", "--format", "json", "--data-dir", str(data_copy), str(UNKNOWN_AREA)]
    plain = CliRunner().invoke(cli, [*args, "--no-cache"])
    assert not cache.exists()
    cached = CliRunner().invoke(cli, args)
    assert (index_location(cache, data_copy.resolve()) / "manifest").is_file()
    assert (cached.exit_code, cached.stdout) == (plain.exit_code, plain.stdout) == (
        1, report(UNKNOWN_AREA, data_copy))


# --- the quick check (listing digest, header read alone, the scan in a child) -------------


def test_the_child_scan_gives_the_digest_of_the_scan_made_here(data_copy: Path,
                                                              tmp_path: Path) -> None:
    from compact_kg import index
    from compact_kg._filescan import digest, scan, scan_digest

    folder = data_copy.resolve()
    report(VALID, data_copy, tmp_path / "cache")
    root = index_location(tmp_path / "cache", folder)
    here = digest(scan(str(folder)))
    assert index._read_manifest(root, folder, full=False)["listing"] == here
    done = subprocess.run([sys.executable, "-I", "-S", index._filescan_script(), str(folder)],
                          capture_output=True, timeout=60, check=True)
    assert done.stdout == here == scan_digest(str(folder))
    (data_copy / "reference" / "extra.ttl").write_text(NEW_AREA, encoding="utf-8")
    assert digest(scan(str(folder))) != here
    assert scan_digest(str(folder)) == digest(scan(str(folder)))


def test_the_listing_digest_does_not_depend_on_how_its_strings_are_shared(
        data_copy: Path) -> None:
    from compact_kg._filescan import digest, scan

    listing = scan(str(data_copy.resolve()))
    alone = digest(listing)
    shared = {path: (size, mtime) for path, size, mtime in listing}  # more references
    assert digest([(path, *stats) for path, stats in shared.items()]) == alone
    assert digest(listing[1:]) != alone
    assert digest([(path, size, mtime + 1) for path, size, mtime in listing]) != alone


def test_a_large_folder_listed_by_a_child_gives_the_same_reports(
        monkeypatch: pytest.MonkeyPatch, data_copy: Path, tmp_path: Path) -> None:
    from compact_kg import index

    monkeypatch.setattr(index, "_CHILD_FILES", 0)  # every folder counts as large
    cache = tmp_path / "cache"
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)
    root = index_location(cache, data_copy.resolve())
    assert index._Prescan(data_copy.resolve(), root)._child is not None
    added = data_copy / "reference" / "extra.ttl"
    added.write_text(NEW_AREA, encoding="utf-8")
    with index.prescanning(data_copy, cache):  # as the CLI does
        after_add = report(UNKNOWN_AREA, data_copy, cache)
    assert after_add == report(UNKNOWN_AREA, data_copy)
    assert "UnknownReference" not in after_add
    added.unlink()
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)


def test_a_scan_started_but_not_used_is_not_used_later(monkeypatch: pytest.MonkeyPatch,
                                                       data_copy: Path, tmp_path: Path) -> None:
    from compact_kg import index

    monkeypatch.setattr(index, "_CHILD_FILES", 0)
    cache = tmp_path / "cache"
    before = report(UNKNOWN_AREA, data_copy, cache)
    with index.prescanning(data_copy, cache):
        pass  # e.g. a command that failed before it looked at the dataset
    (data_copy / "reference" / "extra.ttl").write_text(NEW_AREA, encoding="utf-8")
    after = report(UNKNOWN_AREA, data_copy, cache)
    assert after != before
    assert after == report(UNKNOWN_AREA, data_copy)


def test_damaged_entries_are_noticed_when_they_are_needed(data_copy: Path,
                                                          tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = report(UNKNOWN_AREA, data_copy)
    assert report(UNKNOWN_AREA, data_copy, cache) == expected
    manifest = index_location(cache, data_copy.resolve()) / "manifest"
    raw = manifest.read_bytes()
    manifest.write_bytes(raw[:-40] + b"\0" * 40)  # the entries' tail, not the header
    assert report(UNKNOWN_AREA, data_copy, cache) == expected  # nothing changed: not read
    (data_copy / "reference" / "extra.ttl").write_text(NEW_AREA, encoding="utf-8")
    assert report(UNKNOWN_AREA, data_copy, cache) == report(UNKNOWN_AREA, data_copy)


# --- the subject index (did-you-mean without a scan) ---------------------------------------


def _lookups(data_dir: Path, cache: Path | None) -> tuple[dict, dict]:
    from rdflib import URIRef

    from compact_kg.index import dataset_context

    namespaces = ["https://w3id.org/compact-kg/id/area/", "https://w3id.org/compact-kg/id/",
                  "https://w3id.org/compact-kg/id/area/mer", "https://w3id.org/compact-kg/",
                  "https://w3id.org/compact-kg/vocab/theme/", "urn:nothing/"]
    misspelt = ["https://w3id.org/compact-kg/id/area/mertonn",
                "https://w3id.org/compact-kg/id/organisation/merton",  # a wrong kind
                "https://w3id.org/compact-kg/id/area/borough-merton-london",
                "https://w3id.org/compact-kg/def/Areaa"]
    with dataset_context(REPO_PATHS, data_dir, cache_dir=cache) as context:
        return ({ns: context.subjects_under(ns) for ns in namespaces},
                {iri: context.suggest(URIRef(iri)) for iri in misspelt})


def test_the_subject_index_gives_the_subjects_and_suggestions_of_a_scan(
        data_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = _lookups(data_copy, None)
    assert plain == _lookups(data_copy, cache)
    assert plain[0]["https://w3id.org/compact-kg/id/area/"]
    assert plain[1]["https://w3id.org/compact-kg/id/area/mertonn"]
    assert plain[1]["https://w3id.org/compact-kg/id/organisation/merton"]
    (data_copy / "reference" / "extra.ttl").write_text(
        NEW_AREA + "<https://w3id.org/compact-kg/id/area/deeper/one> a "
        "<https://w3id.org/compact-kg/def/Area> .\n", encoding="utf-8")
    (data_copy / "case-studies" / "merton.ttl").unlink()
    areas = data_copy / "reference" / "areas.ttl"
    areas.write_text(areas.read_text(encoding="utf-8").replace("area:merton a ckg:Area",
                                                                "area:mertom a ckg:Area"),
                     encoding="utf-8")
    changed = _lookups(data_copy, None)
    assert changed != plain
    assert changed == _lookups(data_copy, cache)
