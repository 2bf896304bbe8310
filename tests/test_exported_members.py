"""The public API is exactly what ``__all__`` says, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import compact_kg


def test_all_is_sorted_and_complete():
    assert compact_kg.__all__ == sorted(compact_kg.__all__)
    for name in compact_kg.__all__:
        assert getattr(compact_kg, name) is not None


def test_lazy_names_are_exported():
    assert set(compact_kg._LAZY) <= set(compact_kg.__all__)


def test_unknown_name_is_an_attribute_error():
    try:
        compact_kg.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_import_and_cli_help_do_not_load_heavy_libraries():
    code = (
        "import sys\n"
        "from compact_kg.cli import cli\n"
        "heavy = {'rdflib', 'pyshacl', 'pyoxigraph', 'SPARQLWrapper', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
