"""The wheel and the sdist carry the graph: the same bytes as the repository's files."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GRAPH = "compact_kg/_graph/"

pytestmark = pytest.mark.slow


def repo_graph() -> dict[str, bytes]:
    """ontology/, data/ without data/submissions/, queries/: what every build must ship."""
    files = {}
    for folder in ("ontology", "data", "queries"):
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in relative.parts \
                    and not relative.is_relative_to("data/submissions"):
                files[relative.as_posix()] = path.read_bytes()
    return files


def wheel_graph(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name[len(GRAPH):]: archive.read(name) for name in archive.namelist()
                if name.startswith(GRAPH) and not name.endswith("/")}


def pip_wheel(source: Path | str, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(source)],
                   cwd=ROOT, check=True, capture_output=True)
    (wheel,) = out.glob("compact_kg-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_wheel(".", tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir",
                    str(out), "."], cwd=ROOT, check=True, capture_output=True)
    (archive,) = out.glob("compact_kg-*.tar.gz")
    return archive


def test_the_wheel_holds_the_graph_byte_for_byte(wheel: Path):
    shipped = wheel_graph(wheel)
    expected = repo_graph()
    assert sorted(shipped) == sorted(expected)
    assert [name for name in expected if shipped[name] != expected[name]] == []


def test_the_wheel_holds_the_code_and_the_command(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    assert {"compact_kg/__main__.py", "compact_kg/paths.py", "compact_kg/cli.py"} <= names
    assert "compact-kg = compact_kg.cli:main" in entry_points


def test_the_sdist_holds_the_graph_byte_for_byte(sdist: Path):
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        members = {m.name[len(top) + 1:]: m for m in archive.getmembers() if m.isfile()}
        graph = {name: archive.extractfile(member).read()  # type: ignore[union-attr]
                 for name, member in members.items()
                 if name.split("/")[0] in ("ontology", "data", "queries")}
    assert graph == repo_graph()
    assert {"setup.py", "MANIFEST.in", "pyproject.toml"} <= set(members)


def test_a_wheel_built_from_the_sdist_holds_the_graph(sdist: Path, tmp_path: Path):
    assert wheel_graph(pip_wheel(sdist, tmp_path)) == repo_graph()
