"""Differential fuzzing of the query guard: texts that hide SERVICE, FROM, LOAD or an update.

Each generated text hides an outside-reaching form aimed at a loopback listener inside a
comment, a string, an IRI, a codepoint escape or unusual whitespace, the tricks that once
made rdflib (the guard) and Oxigraph (the engine) read one text two ways. Every text must
come back as a clean refusal (QueryError, one line) or a normal result, and the listener must
receive nothing, on each surface:

- the guard alone: a text it accepts is run by pyoxigraph *in this process*, which has the
  network (the control test of test_query_safety.py shows it calls out), so a text that
  fooled the guard would reach the listener;
- ``run_embedded`` (the guard, then the isolated worker), as ``compact-kg query FILE.rq``
  runs it, with a sample through the command line itself;
- the endpoint of ``compact-kg serve`` (GET /sparql), with its answers' status codes.

The generator is seeded (``COMPACT_KG_FUZZ_SEED``, default below; ``COMPACT_KG_FUZZ_COUNT``
texts, at least 10,000 by default). A text that once got through belongs in
tests/fuzz/query-escapes.json, which runs on every surface first.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner

from compact_kg import queries
from compact_kg.cli import cli
from compact_kg.errors import QueryError
from compact_kg.queries import parse_query_text, run_embedded
from compact_kg.serve import RunningServer
from tests import test_serve
from tests._publish_support import make_checkout
from tests.test_query_safety import Listener

running_server = test_serve.server  # test_serve's module-scoped server, as a fixture here

SEED = int(os.environ.get("COMPACT_KG_FUZZ_SEED", "20261206"))
COUNT = int(os.environ.get("COMPACT_KG_FUZZ_COUNT", "10000"))
CORPUS = Path(__file__).parent / "fuzz" / "query-escapes.json"

# Characters some reader takes for a line end, whitespace or nothing at all.
BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x00", "\x1c",
          "\x1d", "\x1e", "\ufeff", "\u200b", "\\u000A", "\\u000D", "\\u2028", "\\n", "\\r"]
SPACES = [" ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2028", "\u0085", "\ufeff", "\\u0020",
          "\\u0009", "\x0c", ""]
ESCAPED_BREAKS = ["\\u000A", "\\u000D", "\\U0000000A", "\\u000a"]
QUOTES = ['"', "'", '"""', "'''", "\\u0022", "\\u0027", "\\U00000022", "\\u005Cu0022",
          "\\\\u0022", "\\\\\"", "\\u005C\\u0022"]


def corpus(target: str) -> list[str]:
    return [case["text"].replace("{target}", target)
            for case in json.loads(CORPUS.read_text(encoding="utf-8"))]


def _escape_word(rng: random.Random, word: str) -> str:
    """The word with some letters written as codepoint escapes, some case changed."""
    out = []
    for char in word:
        roll = rng.random()
        if roll < 0.3:
            out.append(f"\\u{ord(char):04X}")
        elif roll < 0.4:
            out.append(f"\\U{ord(char):08x}")
        elif roll < 0.6:
            out.append(char.lower())
        else:
            out.append(char)
    return "".join(out)


def _payloads(rng: random.Random, target: str) -> str:
    """One outside-reaching form aimed at ``target`` (sometimes partly escaped)."""
    iri = rng.choice([f"<{target}>", f"<{target.replace('/', chr(92) + 'u002F', 1)}>",
                      f"<{target}{rng.choice(['', '?q=1', '#f', '%20'])}>", "ex:remote"])
    service = rng.choice(["SERVICE", "SERVICE SILENT", "service", "SeRvIcE"])
    if rng.random() < 0.3:
        service = _escape_word(rng, service)
    forms = [
        f"{service} {iri} {{ ?a ?b ?c }}",
        f"}} {service} {iri} {{ ?a ?b ?c }} {{",
        f"FILTER EXISTS {{ {service} {iri} {{ ?a ?b ?c }} }}",
        f"OPTIONAL {{ {service} {iri} {{ }} }}",
    ]
    heads = [f"FROM {iri}", f"FROM NAMED {iri}", f"{_escape_word(rng, 'FROM')} {iri}"]
    updates = [f"; LOAD {iri}", f"; LOAD SILENT {iri} INTO GRAPH <http://g>",
               "; INSERT DATA { <http://a> <http://b> <http://c> }", "; DELETE WHERE { ?s ?p ?o }",
               "; CLEAR ALL", "; DROP DEFAULT"]
    kind = rng.random()
    if kind < 0.6:
        return "where:" + rng.choice(forms)
    if kind < 0.8:
        return "head:" + rng.choice(heads)
    return "tail:" + rng.choice(updates)


def _hide(rng: random.Random, payload: str) -> str:
    """``payload`` wrapped in one of the constructs parsers disagree on."""
    space = rng.choice(SPACES)
    trick = rng.randrange(8)
    if trick == 0:  # a comment, ended (or not) by an unusual line break
        return f"# note{rng.choice(BREAKS)}{space}{payload}{rng.choice(BREAKS)}"
    if trick == 1:  # a string closed early by an escaped quote
        quote = rng.choice(QUOTES)
        return f'BIND("{quote} AS ?h) {payload} {rng.choice(QUOTES)}" AS ?h2)'
    if trick == 2:  # a long string
        quote = rng.choice(["'''", '"""'])
        inner = rng.choice(QUOTES)
        return f"BIND({quote}{inner}{inner}{inner} {payload} {quote} AS ?h)"
    if trick == 3:  # an IRI closed early by an escape
        close = rng.choice(["\\u003E", "\\u003e", "\\U0000003E", ">", "\\u0020", "\\u005Cu003E"])
        return f"BIND(<http://x/{close} {payload} <http://y/> AS ?h)"
    if trick == 4:  # a local name with an escape, then a comment
        return f"BIND(ex:a\\#{space}{payload}{rng.choice(BREAKS)} AS ?h)"
    if trick == 5:  # an escaped line end in a comment
        return f"# note {rng.choice(ESCAPED_BREAKS)} {payload}\n"
    if trick == 6:  # odd whitespace between every token
        return space.join(payload.split(" "))
    return payload  # in plain sight: the guard must refuse it too


def generated(count: int, seed: int, target: str) -> Iterator[str]:
    """``count`` distinct query texts, the same for the same seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    # ex: is the listener too, so that a SERVICE ex:remote that got through is seen.
    prologue = f"PREFIX ex: <{target.rsplit('/', 1)[0]}/>\n"
    while len(seen) < count:
        where, _, payload = _payloads(rng, target).partition(":")
        hidden = _hide(rng, payload)
        if rng.random() < 0.2:  # hide the hider again
            hidden = _hide(rng, hidden)
        if where == "where":
            text = f"{prologue}SELECT * WHERE {{ ?s ?p ?o {hidden} }} LIMIT 1"
        elif where == "head":
            text = f"{prologue}SELECT * {hidden} WHERE {{ ?s ?p ?o }} LIMIT 1"
        else:
            text = f"{prologue}ASK {{ }} {hidden}"
        if rng.random() < 0.1:  # a byte order mark, CR LF line ends
            text = rng.choice(["\ufeff", ""]) + text.replace("\n", rng.choice(["\r\n", "\r"]))
        if text not in seen:
            seen.add(text)
            yield text


def test_the_generator_makes_enough_distinct_texts():
    texts = list(generated(COUNT, SEED, "http://127.0.0.1:1/sparql"))
    assert len(texts) >= 10_000 or "COMPACT_KG_FUZZ_COUNT" in os.environ
    assert len(set(texts)) == len(texts) == COUNT
    assert texts == list(generated(COUNT, SEED, "http://127.0.0.1:1/sparql"))  # seeded


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def texts(listener: Listener) -> list[str]:
    target = f"http://127.0.0.1:{listener.port}/sparql"
    return corpus(target) + list(generated(COUNT, SEED, target))


@pytest.fixture(scope="module")
def small_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    ex = "http://example.org/"
    store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(ex + "s"), pyoxigraph.NamedNode(ex + "p"),
                              pyoxigraph.Literal("o")))
    return store


def _wait_for_late_connections(listener: Listener) -> None:
    time.sleep(0.3)  # the listener's accept loop polls every 0.1 s


def _one_line(error: Exception) -> bool:
    message = str(error)
    return bool(message) and "\n" not in message and "Traceback" not in message


def test_the_guard_alone_lets_nothing_through(texts: list[str], listener: Listener,
                                              small_store: pyoxigraph.Store):
    """Texts the guard accepts are run unisolated, in this process: none may call out."""
    queries._parse_query_text_cached.cache_clear()
    accepted = refused = 0
    for text in texts:
        try:
            saved = parse_query_text(text)
        except QueryError as error:
            assert _one_line(error), (text, str(error))
            refused += 1
            continue
        accepted += 1
        before = listener.connections
        try:
            answer = small_store.query(saved.runnable_text)
            list(answer) if not isinstance(answer, pyoxigraph.QueryBoolean) else bool(answer)
        except (SyntaxError, OSError, RuntimeError):
            pass
        if listener.connections != before:
            pytest.fail(f"this text got past the guard; add it to {CORPUS.name}: {text!r}")
    _wait_for_late_connections(listener)
    assert listener.connections == 0
    assert refused > 0.5 * len(texts)
    print(f"guard: {accepted} accepted, {refused} refused of {len(texts)}")


def test_run_embedded_answers_cleanly_and_calls_nobody(texts: list[str], listener: Listener,
                                                       small_store: pyoxigraph.Store):
    """The path of `compact-kg query FILE.rq`: the guard, then the isolated worker."""
    queries._parse_query_text_cached.cache_clear()
    for text in texts:
        try:
            result = run_embedded(text, small_store, timeout=10)
        except QueryError as error:
            assert _one_line(error), (text, str(error))
        else:
            assert result.kind in ("select", "ask", "graph")
    _wait_for_late_connections(listener)
    assert listener.connections == 0


def test_a_sample_through_the_command_line(texts: list[str], listener: Listener,
                                           tmp_path: Path):
    """`compact-kg query FILE.rq` itself: exit 0 or 2, one line on error, no traceback."""
    rng = random.Random(SEED)
    sample = texts[: len(corpus("x"))] + rng.sample(texts, 40)
    home = make_checkout(tmp_path / "home").root
    runner = CliRunner()
    for index, text in enumerate(sample):
        path = tmp_path / f"q{index}.rq"
        path.write_text(text, encoding="utf-8", newline="")
        result = runner.invoke(cli, ["query", str(path)], env={"COMPACT_KG_HOME": str(home)})
        assert result.exit_code in (0, 2), (text, result.output)
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            lines = result.output.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), (text, result.output)
    _wait_for_late_connections(listener)
    assert listener.connections == 0


@pytest.mark.server
def test_the_endpoint_answers_cleanly_and_calls_nobody(texts: list[str], listener: Listener,
                                                       running_server: RunningServer):
    server = running_server
    queries._parse_query_text_cached.cache_clear()
    statuses: dict[int, int] = {}
    for text in texts:
        url = server.url + "sparql?" + urllib.parse.urlencode({"query": text})
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except OSError as error:
            pytest.fail(f"the endpoint dropped this text ({error}): {text!r}")
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (200, 400, 403), (text, status, body[:300])
        if status != 200:
            message = body.decode("utf-8", "replace").strip()
            assert message and "Traceback" not in message, (text, message)
    _wait_for_late_connections(listener)
    assert listener.connections == 0
    print(f"endpoint: {statuses}")
