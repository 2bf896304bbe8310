"""The embedded store: which files make the dataset, and errors with locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths
from compact_kg.store import dataset_files, load_store


def test_dataset_files_are_ontology_vocabularies_and_data_not_shapes(project: ProjectPaths):
    names = [path.relative_to(project.root).as_posix() for path in dataset_files(project)]
    assert names == [
        "ontology/compact.ttl",
        "ontology/vocabularies/themes.ttl",
        "data/areas/areas.ttl",
    ]


def test_store_holds_the_dataset_in_the_default_graph(store):
    answer = store.query("ASK { <http://example.org/ShapeThatMustNotBeLoaded> ?p ?o }")
    assert not bool(answer)
    count = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"]
    assert int(count.value) > 10


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://ex/> .\nex:a ex:p "x" .\nex:b ex:q "y" oops .\n')
    with pytest.raises(InputError) as caught:
        load_store([bad])
    assert str(caught.value).startswith(f"{bad}:3:15: Turtle syntax error")
    assert (caught.value.line, caught.value.column) == (3, 15)


def test_relative_iri_is_an_error_not_a_file_uri(tmp_path: Path):
    relative = tmp_path / "relative.ttl"
    relative.write_text('<a> <http://ex/p> "x" .\n')
    with pytest.raises(InputError, match=r"relative\.ttl:1:1"):
        load_store([relative])


def test_missing_file_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="cannot read"):
        load_store([tmp_path / "missing.ttl"])
