"""Tests of compact_kg.rdfio: the safe door for RDF files.

Bad inputs are generated in ``tmp_path``; good ones live in ``tests/data/rdfio``. Network
refusals are checked against a real loopback TCP listener that records every connection.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import stat
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib import namespace as rns
from rdflib.compare import isomorphic

from compact_kg import rdfio
from compact_kg.errors import CompactKGError, InputError, UnsafeInputError
from compact_kg.rdfio import (
    SourceMap,
    find_positions,
    no_network,
    read_rdf,
    refused_constructs,
    write_turtle_atomic,
)

DATA = Path(__file__).parent / "data" / "rdfio"
EX = Namespace("http://example.org/compact/")
PREFIX = b"@prefix ex: <http://example.org/compact/> .\n"
TIME_LIMIT = 10.0  # seconds; generous so noisy CI machines pass, tight enough to catch hangs


# ------------------------------------------------------------------------------------------
# Helpers and fixtures
# ------------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def within(seconds: float = TIME_LIMIT) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def refused(
    path: Path,
    error: type[InputError] = InputError,
    *,
    line: int | None = None,
    column: int | None = None,
    **options: object,
) -> InputError:
    """Read ``path``, expect ``error`` quickly, with a one-line message naming file and place."""
    with within(), pytest.raises(error) as caught:
        read_rdf(path, **options)  # type: ignore[arg-type]
    exc = caught.value
    message = str(exc)
    assert "\n" not in message
    assert message.startswith(f"{path}:"), message
    assert exc.hint, "every error says what to do"
    if line is not None:
        assert (exc.line, exc.column) == (line, column), message
        assert message.startswith(f"{path}:{line}:{column}: "), message
    return exc


@dataclass
class Listener:
    """A real TCP listener on 127.0.0.1 that records who connected."""

    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)

    def settle(self) -> list[tuple[str, int]]:
        time.sleep(0.3)  # let a connection that was made reach accept()
        return self.connections


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    stop = threading.Event()
    found = Listener(port=server.getsockname()[1])

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            found.connections.append(address)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(2)
    server.close()


_OPENED: list[str] = []
_RECORDING = threading.Event()


def _record_opens(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING.is_set() and event == "open" and isinstance(args[0], str | bytes | Path):
        _OPENED.append(os.path.realpath(os.fsdecode(args[0])))  # type: ignore[arg-type]


sys.addaudithook(_record_opens)


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    """Real paths of every file opened while the test runs."""
    _OPENED.clear()
    _RECORDING.set()
    yield _OPENED
    _RECORDING.clear()


# ------------------------------------------------------------------------------------------
# Happy paths
# ------------------------------------------------------------------------------------------


def test_the_same_graph_in_four_formats_reads_isomorphic() -> None:
    graphs = {
        suffix: read_rdf(DATA / f"sample.{suffix}") for suffix in ("ttl", "nt", "jsonld", "rdf")
    }
    assert all(len(g) == 8 for g in graphs.values())
    turtle = graphs["ttl"]
    for suffix, graph in graphs.items():
        assert isomorphic(turtle, graph), suffix


def test_reading_matches_rdflibs_own_parser() -> None:
    data = (DATA / "sample.ttl").read_bytes()
    assert isomorphic(read_rdf(DATA / "sample.ttl"), Graph().parse(data=data, format="turtle"))


def test_explicit_format_overrides_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "sample.txt", (DATA / "sample.ttl").read_bytes())
    assert len(read_rdf(path, format="turtle")) == 8


def test_prefixes_of_the_file_are_bound() -> None:
    graph = read_rdf(DATA / "sample.ttl")
    assert dict(graph.namespaces())["ex"] == URIRef(str(EX))


def test_literals_keep_their_lexical_form_without_global_state(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lexical.ttl",
        PREFIX + b"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        b'ex:a ex:n "01"^^xsd:integer ; ex:t "2020-01-01T00:00:00Z"^^xsd:dateTime ;'
        b' ex:d "1.0E3"^^xsd:double .\n',
    )
    before = rdflib.NORMALIZE_LITERALS
    graph = read_rdf(path)
    assert rdflib.NORMALIZE_LITERALS is before
    values = {str(o) for o in graph.objects(EX.a, None)}
    assert values == {"01", "2020-01-01T00:00:00Z", "1.0E3"}
    assert str(Literal("01", datatype=rns.XSD.integer)) == "1", "others still get rdflib's default"


def test_blank_nodes_are_fresh_for_every_read() -> None:
    first = read_rdf(DATA / "sample.nt")
    second = read_rdf(DATA / "sample.nt")
    bnodes = {n for t in first for n in t if isinstance(n, BNode)}
    assert bnodes and not bnodes & {n for t in second for n in t if isinstance(n, BNode)}


def test_base_resolves_relative_iris(tmp_path: Path) -> None:
    path = write(tmp_path, "rel.ttl", b"<a> <b> <c> .\n")
    graph = read_rdf(path, base="http://example.org/compact/")
    assert (EX.a, EX.b, EX.c) in graph


def test_nesting_within_a_raised_limit_parses_without_recursion(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.ttl", PREFIX + b"ex:a ex:b " + b"(" * 1000 + b")" * 1000 + b" .\n")
    with within():
        graph = read_rdf(path, max_depth=2000)
    assert len(graph) == 1 + 2 * 999  # the innermost () is rdf:nil


# ------------------------------------------------------------------------------------------
# Refused input: RDF/XML
# ------------------------------------------------------------------------------------------


def test_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    entities = "".join(f'  <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY lol0 "lol">\n'
        f"{entities}]>\n"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="http://example.org/compact/">\n'
        '<rdf:Description rdf:about="http://example.org/compact/a">'
        "<ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>\n"
    )
    exc = refused(write(tmp_path, "bomb.rdf", bomb.encode()), UnsafeInputError, line=2, column=1)
    assert "DOCTYPE" in str(exc)


def test_external_entity_is_refused_and_the_file_not_read(
    tmp_path: Path, opened_files: list[str]
) -> None:
    secret = write(tmp_path, "secret.txt", b"do not read me")
    path = tmp_path / "xxe.rdf"
    xxe = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE r [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="http://example.org/compact/">'
        '<rdf:Description rdf:about="http://example.org/compact/a"><ex:p>&xxe;</ex:p>'
        "</rdf:Description></rdf:RDF>\n"
    )
    path.write_text(xxe)
    opened_files.clear()
    refused(path, UnsafeInputError, line=2, column=1)
    assert str(path.resolve()) in opened_files, "the recorder does see reads"
    assert str(secret.resolve()) not in opened_files


def test_external_entity_to_etc_passwd_is_refused(tmp_path: Path) -> None:
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "file:///etc/passwd">\n<r/>\n'
    refused(write(tmp_path, "passwd.xml", xxe), UnsafeInputError, line=2, column=1)


def test_deep_xml_nesting_is_refused(tmp_path: Path) -> None:
    open_tags = b"<ex:p><rdf:Description>" * 1000
    close_tags = b"</rdf:Description></ex:p>" * 1000
    xml = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:ex="http://example.org/compact/">\n'
        b'<rdf:Description rdf:about="http://example.org/compact/a">'
        + open_tags
        + close_tags
        + b"</rdf:Description></rdf:RDF>\n"
    )
    refused(write(tmp_path, "deep.rdf", xml), UnsafeInputError, line=2, column=59 + 31 * 23)


def test_xml_declaring_another_encoding_is_refused(tmp_path: Path) -> None:
    xml = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<rdf:RDF/>\n'
    refused(write(tmp_path, "latin.rdf", xml), line=1, column=31)


# ------------------------------------------------------------------------------------------
# Refused input: JSON-LD contexts and IRIs
# ------------------------------------------------------------------------------------------


def test_remote_jsonld_context_is_refused_without_connecting(
    tmp_path: Path, listener: Listener
) -> None:
    doc = (
        f'{{\n  "@context": "http://127.0.0.1:{listener.port}/ctx",\n'
        '  "@id": "http://example.org/compact/a", "name": "x"\n}\n'
    )
    refused(write(tmp_path, "remote.jsonld", doc.encode()), UnsafeInputError, line=2, column=15)
    assert listener.settle() == []


def test_remote_context_inside_a_context_list_is_refused(
    tmp_path: Path, listener: Listener
) -> None:
    doc = (
        '{"@context": [{"ex": "http://example.org/compact/"},\n'
        f'  "http://127.0.0.1:{listener.port}/ctx"],\n  "@id": "ex:a"}}\n'
    )
    refused(write(tmp_path, "list.jsonld", doc.encode()), UnsafeInputError, line=2, column=3)
    assert listener.settle() == []


def test_remote_scoped_context_is_refused(tmp_path: Path, listener: Listener) -> None:
    doc = (
        '{"@context": {"ex": "http://example.org/compact/",\n'
        f'  "knows": {{"@id": "ex:knows", "@context": "http://127.0.0.1:{listener.port}/c"}}}},\n'
        '  "@id": "ex:a", "knows": {"@id": "ex:b"}}\n'
    )
    refused(write(tmp_path, "scoped.jsonld", doc.encode()), UnsafeInputError, line=2, column=44)
    assert listener.settle() == []


def test_jsonld_import_is_refused(tmp_path: Path, listener: Listener) -> None:
    doc = f'{{"@context": {{"@import": "http://127.0.0.1:{listener.port}/c"}}, "@id": "a"}}'
    refused(write(tmp_path, "import.jsonld", doc.encode()), UnsafeInputError, line=1, column=15)
    assert listener.settle() == []


def test_file_context_is_refused_and_the_file_not_read(
    tmp_path: Path, opened_files: list[str]
) -> None:
    context = write(tmp_path, "context.jsonld", b'{"@context": {"ex": "http://example.org/"}}')
    doc = f'{{"@context": "{context.as_uri()}", "@id": "ex:a", "ex:p": "x"}}'
    path = write(tmp_path, "file-context.jsonld", doc.encode())
    opened_files.clear()
    refused(path, UnsafeInputError, line=1, column=14)
    assert str(path.resolve()) in opened_files, "the recorder does see reads"
    assert str(context.resolve()) not in opened_files


def test_escaped_context_keyword_is_still_refused(tmp_path: Path) -> None:
    doc = b'{"\\u0040context": "http://example.org/ctx", "@id": "http://example.org/a"}'
    refused(write(tmp_path, "escaped.jsonld", doc), UnsafeInputError, line=1, column=19)


def test_jsonld_id_with_a_space_is_refused(tmp_path: Path) -> None:
    doc = b'{\n "@id": "http://example.org/a b",\n "http://example.org/p": "x"}'
    refused(write(tmp_path, "space.jsonld", doc), line=2, column=9)


def test_jsonld_relative_id_without_base_is_refused(tmp_path: Path) -> None:
    doc = b'{"@id": "leeds", "http://example.org/p": "x"}'
    refused(write(tmp_path, "relative.jsonld", doc), line=1, column=9)


def test_deep_jsonld_is_refused(tmp_path: Path) -> None:
    doc = b'{"@id": "http://e.org/a", "http://e.org/p": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    refused(write(tmp_path, "deep.jsonld", doc), UnsafeInputError, line=1, column=44 + 64)


# ------------------------------------------------------------------------------------------
# Refused input: Turtle, N-Triples and the bytes themselves
# ------------------------------------------------------------------------------------------


def test_deeply_nested_turtle_list_is_refused(tmp_path: Path) -> None:
    data = PREFIX + b"ex:a ex:b " + b"(" * 1000 + b")" * 1000 + b" .\n"
    exc = refused(write(tmp_path, "list.ttl", data), UnsafeInputError, line=2, column=11 + 64)
    assert "64" in str(exc)


def test_deeply_nested_blank_nodes_are_refused(tmp_path: Path) -> None:
    data = PREFIX + b"ex:a ex:b " + b"[ ex:p " * 1000 + b"ex:o" + b" ]" * 1000 + b" .\n"
    refused(write(tmp_path, "bnodes.ttl", data), UnsafeInputError, line=2, column=11 + 64 * 7)


def test_brackets_inside_strings_iris_and_comments_do_not_count(tmp_path: Path) -> None:
    deep = "[(" * 100
    data = (
        PREFIX
        + f'# {deep}\nex:a ex:b "{deep}", """{deep}\n{deep}""",'.encode()
        + f" <http://e.org/{'(' * 100}> .\n".encode()
    )
    assert len(read_rdf(write(tmp_path, "strings.ttl", data))) == 3


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    data = PREFIX + b'ex:a ex:b "' + b"x" * 20_000_000 + b'" .\n'
    exc = refused(write(tmp_path, "huge.ttl", data), UnsafeInputError)
    assert "limit of 10000000" in str(exc)


def test_a_20_mb_literal_is_refused_with_its_position(tmp_path: Path) -> None:
    data = PREFIX + b'ex:a ex:b "' + b"x" * 20_000_000 + b'" .\n'
    path = write(tmp_path, "literal.ttl", data)
    refused(path, UnsafeInputError, line=2, column=11, max_bytes=30_000_000)


def test_a_long_xml_literal_is_refused(tmp_path: Path) -> None:
    xml = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:ex="http://example.org/compact/">\n<rdf:Description rdf:about="http://e.org/a">'
        b"<ex:p>" + b"line\n" * 300_000 + b"</ex:p></rdf:Description></rdf:RDF>"
    )
    refused(write(tmp_path, "long.rdf", xml), UnsafeInputError, line=2, column=51)


def test_invalid_utf8_is_reported_at_the_bad_byte(tmp_path: Path) -> None:
    data = PREFIX + 'ex:a ex:b "é" ;\n  ex:c "caf'.encode() + b"\xe9" + b'" .\n'
    exc = refused(write(tmp_path, "latin1.ttl", data), line=3, column=12)
    assert "UTF-8" in str(exc)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, "empty.ttl", b""))
    assert "the file is empty" in str(exc)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    exc = refused(write(tmp_path, "image.ttl", png), line=3, column=1)
    assert "binary" in str(exc)


def test_json_in_a_turtle_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    exc = refused(write(tmp_path, "wrong.ttl", b'{"@id": "http://e.org/a"}'), line=1, column=1)
    assert "JSON-LD" in str(exc)


def test_turtle_syntax_error_has_exact_line_and_column(tmp_path: Path) -> None:
    data = PREFIX + b"ex:a ex:b ex:c ;\n   ex:d ex:e\n   ex:f ex:g .\n"
    exc = refused(write(tmp_path, "syntax.ttl", data), line=4, column=4)
    assert "syntax error" in str(exc)


def test_literal_subject_is_refused(tmp_path: Path) -> None:
    data = b'<http://e.org/a> <http://e.org/p> "x" .\n"lit" <http://e.org/p> "x" .\n'
    refused(write(tmp_path, "literal-subject.nt", data), line=2, column=1)


def test_blank_node_predicate_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, "bnode-predicate.ttl", PREFIX + b"ex:a _:p ex:o .\n"), line=2, column=6)


def test_iri_with_a_space_is_refused(tmp_path: Path) -> None:
    data = b"<http://e.org/a> <http://e.org/p> <http://e.org/an iri> .\n"
    refused(write(tmp_path, "space.nt", data), line=1, column=35)


def test_relative_iri_without_base_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, "relative.ttl", b"<a> <http://e.org/p> <c> .\n"), line=1, column=1)


def test_unknown_suffix_names_the_accepted_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "data.txt", PREFIX)
    with pytest.raises(InputError) as caught:
        read_rdf(path)
    assert ".ttl" in str(caught.value) and ".jsonld" in str(caught.value)


def test_missing_file_and_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_rdf(tmp_path / "missing.ttl")
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(InputError, match="not a regular file"):
        read_rdf(folder)


def test_every_error_is_a_compact_kg_error() -> None:
    assert issubclass(UnsafeInputError, InputError)
    assert issubclass(InputError, CompactKGError)


# ------------------------------------------------------------------------------------------
# owl:imports and shapes
# ------------------------------------------------------------------------------------------


def test_owl_imports_is_never_followed_and_is_reported(tmp_path: Path, listener: Listener) -> None:
    data = (
        PREFIX + b"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        b"ex:ontology a owl:Ontology ; owl:imports "
        + f"<http://127.0.0.1:{listener.port}/other.ttl> .\n".encode()
    )
    path = write(tmp_path, "imports.ttl", data)
    graph = read_rdf(path)
    Graph().parse(data=data, format="turtle")  # rdflib's own parser does not follow it either
    assert listener.settle() == []
    [message] = refused_constructs(graph)
    assert "owl:imports" in message and "\n" not in message


def test_shapes_in_a_submission_are_reported() -> None:
    graph = read_rdf(DATA / "sample.ttl")
    assert refused_constructs(graph) == []
    shape = URIRef("http://example.org/compact/Shape")
    graph.add((shape, rns.RDF.type, rns.SH.NodeShape))
    graph.add((shape, rns.SH.deactivated, Literal(True)))
    graph.add((EX.x, rns.OWL.imports, URIRef("http://example.org/other")))
    messages = refused_constructs(graph)
    assert len(messages) == 3
    assert sum("SHACL" in m or "NodeShape" in m for m in messages) == 2


# ------------------------------------------------------------------------------------------
# no_network
# ------------------------------------------------------------------------------------------


def test_listener_records_connections_when_allowed(listener: Listener) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass
    assert len(listener.settle()) == 1


def test_no_network_blocks_a_real_connect(listener: Listener) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with no_network(), pytest.raises(UnsafeInputError):
            sock.connect(("127.0.0.1", listener.port))
    finally:
        sock.close()
    assert listener.settle() == []


def test_no_network_blocks_urllib(listener: Listener) -> None:
    with no_network(), pytest.raises(UnsafeInputError):
        urllib.request.urlopen(f"http://127.0.0.1:{listener.port}/", timeout=2)
    assert listener.settle() == []


def test_no_network_allows_only_listed_files(tmp_path: Path) -> None:
    allowed = write(tmp_path, "allowed.ttl", b"ok")
    other = write(tmp_path, "other.ttl", b"no")
    with no_network(allow=[allowed]):
        assert allowed.read_bytes() == b"ok"
        with pytest.raises(UnsafeInputError):
            other.read_bytes()
        with pytest.raises(UnsafeInputError):
            allowed.write_bytes(b"changed")
    assert other.read_bytes() == b"no" and allowed.read_bytes() == b"ok"


def test_no_network_nested_blocks_need_every_allowance(tmp_path: Path) -> None:
    outer = write(tmp_path, "outer.txt", b"1")
    with no_network(allow=[outer]):
        with no_network(), pytest.raises(UnsafeInputError):
            outer.read_bytes()
        assert outer.read_bytes() == b"1"


def test_no_network_lets_lazy_imports_work() -> None:
    sys.modules.pop("colorsys", None)
    with no_network():
        module = importlib.import_module("colorsys")
    assert module.rgb_to_hsv(1, 0, 0)[0] == 0


def test_no_network_blocks_subprocesses() -> None:
    import subprocess

    with no_network(), pytest.raises(UnsafeInputError):
        subprocess.run(["true"], check=False)


def test_no_network_is_off_outside_the_block_and_in_other_threads(tmp_path: Path) -> None:
    path = write(tmp_path, "x.txt", b"x")
    results: list[bytes] = []
    with no_network():
        thread = threading.Thread(target=lambda: results.append(path.read_bytes()))
        thread.start()
        thread.join()
    assert results == [b"x"]
    assert path.read_bytes() == b"x"


# ------------------------------------------------------------------------------------------
# SourceMap
# ------------------------------------------------------------------------------------------

REALISTIC = '''\
# A realistic submission: prefixes, ; and , lists, blank nodes, long strings, comments.
@prefix ex: <http://example.org/compact/> .
PREFIX org: <http://www.w3.org/ns/org#>
@base <http://example.org/compact/> .

ex:leeds-compact a ex:LocalCompact ;   # the compact itself
    ex:title "Leeds Compact" , "Compact Leeds"@en ;
    ex:summary """A long description; it mentions ex:fake ex:notAPredicate
and spans lines. Even a "quote" and a # hash.""" ;
    ex:signedBy ex:leeds-city-council ,
        ex:voluntary-action-leeds ;
    ex:contact [
        ex:email "compact@example.org" ;
        ex:role [ ex:label "coordinator" ]
    ] ;
    ex:themes ( ex:funding [ ex:label "x" ] ex:procurement ) .

<leeds-city-council> a org:Organization ;
    ex:name 'Leeds City Council' .

[] ex:describes ex:leeds-compact .
ex:voluntary-action-leeds org:memberOf ex:leeds-compact.
'''


def test_source_map_of_a_realistic_turtle_file() -> None:
    smap = SourceMap.from_bytes(REALISTIC.encode(), "turtle")
    assert smap.subjects == {
        EX["leeds-compact"]: (6, 1),
        EX["leeds-city-council"]: (18, 1),
        EX["voluntary-action-leeds"]: (22, 1),
    }
    assert smap.locate(EX["leeds-compact"], rns.RDF.type) == (6, 18)
    assert smap.locate(EX["leeds-compact"], EX.title) == (7, 5)
    assert smap.locate(EX["leeds-compact"], EX.summary) == (8, 5)
    assert smap.locate(EX["leeds-compact"], EX.signedBy) == (10, 5)
    assert smap.locate(EX["leeds-compact"], EX.contact) == (12, 5)
    assert smap.locate(EX["leeds-compact"], EX.themes) == (16, 5)
    assert smap.locate(EX["leeds-city-council"], EX.name) == (19, 5)
    member_of = URIRef("http://www.w3.org/ns/org#memberOf")
    assert smap.locate(EX["voluntary-action-leeds"], member_of) == (22, 27)
    assert smap.locate(EX["leeds-compact"], EX.unknown) == (6, 1), "falls back to the subject"
    assert (EX.fake, EX.notAPredicate) not in smap.statements, "strings are skipped"
    assert (EX["leeds-compact"], EX.email) not in smap.statements, "nested [] is its own node"


def test_source_map_covers_every_iri_subject_of_the_parsed_graph(tmp_path: Path) -> None:
    path = write(tmp_path, "realistic.ttl", REALISTIC.encode())
    graph = read_rdf(path)
    smap = SourceMap.from_bytes(path.read_bytes(), "turtle")
    for subject, predicate, _ in graph:
        if isinstance(subject, URIRef):
            assert (subject, predicate) in smap.statements, (subject, predicate)


def test_find_positions_on_n_triples() -> None:
    positions = find_positions((DATA / "sample.nt").read_bytes(), "nt")
    assert positions == {EX["leeds-compact"]: (1, 1)}


def test_source_map_is_linear_on_junk() -> None:
    """Regression: a tokenizer that rescanned to the line end for every '<' was quadratic."""
    with within():
        SourceMap.from_bytes(b"<" * 200_000 + b"a." * 200_000 + b'"a' * 100_000, "turtle")


def test_source_map_of_other_formats_is_empty() -> None:
    smap = SourceMap.from_bytes((DATA / "sample.jsonld").read_bytes(), "json-ld")
    assert smap.locate(EX["leeds-compact"]) is None


# ------------------------------------------------------------------------------------------
# write_turtle_atomic
# ------------------------------------------------------------------------------------------


def test_write_turtle_atomic_round_trips_lexical_forms(tmp_path: Path) -> None:
    graph = Graph()
    forms = [
        Literal("01", datatype=rns.XSD.integer, normalize=False),
        Literal("1.0E3", datatype=rns.XSD.double, normalize=False),
        Literal("0.123456789", datatype=rns.XSD.double, normalize=False),
        Literal("1", datatype=rns.XSD.decimal, normalize=False),
        Literal("2.50", datatype=rns.XSD.decimal, normalize=False),
        Literal("2020-01-01T00:00:00Z", datatype=rns.XSD.dateTime, normalize=False),
        Literal("true", datatype=rns.XSD.boolean, normalize=False),
        Literal("Leeds", lang="en"),
        Literal("plain"),
    ]
    for value in forms:
        graph.add((EX.a, EX.p, value))
    graph.add((EX.a, EX.q, BNode()))
    target = tmp_path / "out.ttl"
    write_turtle_atomic(graph, target)
    again = read_rdf(target)
    assert isomorphic(graph, again)
    assert {str(o) for o in again.objects(EX.a, EX.p)} == {str(v) for v in forms}
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_write_turtle_atomic_leaves_the_original_untouched_on_failure(tmp_path: Path) -> None:
    target = write(tmp_path, "data.ttl", b"# the original\n")
    target.chmod(0o640)
    unserialisable = Graph()
    unserialisable.add((URIRef("http://example.org/an iri"), EX.p, Literal("x")))
    unreadable = Graph()  # rdflib writes a literal subject, which does not read back
    unreadable.add((Literal("x"), EX.p, EX.o))
    for bad in (unserialisable, unreadable):
        with pytest.raises(CompactKGError) as caught:
            write_turtle_atomic(bad, target)
        assert "unchanged" in str(caught.value) or "Fix" in str(caught.value)
        assert target.read_bytes() == b"# the original\n"
        assert [p.name for p in tmp_path.iterdir()] == ["data.ttl"]
    good = Graph()
    good.add((EX.a, EX.p, Literal("x")))
    write_turtle_atomic(good, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert isomorphic(read_rdf(target), good)


def test_write_turtle_atomic_refuses_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(CompactKGError):
        write_turtle_atomic(Dataset(), tmp_path / "d.ttl")
    assert list(tmp_path.iterdir()) == []


def test_write_turtle_atomic_writes_an_empty_graph_readably(tmp_path: Path) -> None:
    target = tmp_path / "empty.ttl"
    write_turtle_atomic(Graph(), target)
    assert len(read_rdf(target)) == 0


# ------------------------------------------------------------------------------------------
# Property: whatever the bytes, the door raises only InputError
# ------------------------------------------------------------------------------------------

_RDFISH = st.text(alphabet="<>[](){}\"'#@:;,._^\\ \nabex0123\u00e9\x00", max_size=200)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_RDFISH, suffix=st.sampled_from(sorted(rdfio.SUFFIXES)))
def test_any_text_gives_a_graph_or_an_input_error(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(text.encode("utf-8"))
    with contextlib.suppress(InputError):
        assert isinstance(read_rdf(path, max_depth=8), Graph)


@settings(max_examples=150, deadline=None)
@given(text=_RDFISH)
def test_source_map_never_fails(text: str) -> None:
    smap = SourceMap.from_bytes(text.encode("utf-8"), "turtle")
    assert all(line >= 1 and column >= 1 for line, column in smap.subjects.values())


def test_public_names() -> None:
    assert sorted(rdfio.__all__) == rdfio.__all__
    for name in rdfio.__all__:
        assert getattr(rdfio, name).__doc__ or name in ("FORMATS", "SUFFIXES")
