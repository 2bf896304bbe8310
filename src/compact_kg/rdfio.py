"""The one safe door through which compact-kg reads and writes RDF files.

Every RDF file, trusted dataset file or untrusted submission, is read with :func:`read_rdf`:

1. the bytes are read by us, bounded in size (never a path or URL handed to a parser);
2. they must be non-empty UTF-8 text without NUL bytes;
3. a cheap pre-scan bounds nesting depth and literal length and refuses what asks for other
   documents (an RDF/XML DOCTYPE or ENTITY, a JSON-LD context that is not inline);
4. pyoxigraph parses the bytes strictly, reporting syntax errors with line and column;
5. its triples become an :class:`rdflib.Graph`, literals keeping their lexical form.

Step 4-5 differ from "parse twice" on purpose: rdflib's own parsers fetch JSON-LD contexts,
hang on entity bombs, recurse past the stack on deep Turtle, are quadratic on long RDF/XML
literals, and normalise literals unless a process-wide flag is changed. Building the graph from
pyoxigraph's triples avoids all of those and needs no global state (see ``_to_rdflib``).

:func:`no_network` is the last line of defence: while it is active, opening a socket, making a
urllib request, starting a process, or opening a file outside an allow-list raises
:class:`~compact_kg.errors.UnsafeInputError`. It is built on one ``sys.addaudithook`` hook,
installed at import and cheap while no block is active.

Also here: :class:`SourceMap` (where each subject and statement of a Turtle file is written, to
point SHACL results back at lines), :func:`refused_constructs` (shapes and ``owl:imports`` that a
submission may not carry) and :func:`write_turtle_atomic` (write, verify, then replace).
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import glob
import logging
import os
import re
import site
import stat
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, NoReturn
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, SH, XSD
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

from compact_kg.errors import CompactKGError, InputError, TooManyTriplesError, UnsafeInputError

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "SourceMap",
    "canonical_language_tag",
    "find_positions",
    "no_network",
    "read_rdf",
    "read_turtle",
    "read_turtle_files",
    "refused_constructs",
    "route_rdflib_literal_warnings",
    "write_bytes_atomic",
    "write_turtle_atomic",
]

#: The largest project file (ontology, data, shapes) :func:`read_turtle` reads.
MAX_TRUSTED_BYTES = 256_000_000

# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

#: The formats :func:`read_rdf` accepts, by the names rdflib uses for them.
FORMATS: Final[Mapping[str, ox.RdfFormat]] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}

#: File name suffixes (lower case) and the format each one means.
SUFFIXES: Final[Mapping[str, str]] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}

_FORMAT_TITLES: Final[Mapping[str, str]] = {
    "turtle": "Turtle",
    "nt": "N-Triples",
    "json-ld": "JSON-LD",
    "xml": "RDF/XML",
}

# An IRI: a scheme, then no character the IRIREF production forbids.
_IRI_OK = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f]*")
_IRI_BAD_CHAR = re.compile(r"[\x00-\x20<>\"{}|^`\\\x7f]")


def _resolve_format(path: Path, fmt: str | None) -> str:
    """The format name to use for ``path``: ``fmt`` checked, or guessed from the suffix."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(
                f"unknown RDF format {fmt!r}",
                path=path,
                hint=f"Use one of {', '.join(FORMATS)}.",
            )
        return fmt
    guessed = SUFFIXES.get(path.suffix.lower())
    if guessed is None:
        raise InputError(
            f"cannot tell the RDF format from the suffix {path.suffix or '(none)'!r}",
            path=path,
            hint=f"Name the file with one of {' '.join(SUFFIXES)}, or pass the format.",
        )
    return guessed


# --------------------------------------------------------------------------------------------
# no_network(): one audit hook, switched on per context
# --------------------------------------------------------------------------------------------

# Audit events refused outright while a no_network() block is active.
_BLOCKED_EVENTS: Final[frozenset[str]] = frozenset(
    {
        "socket.connect",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.gethostbyaddr",
        "urllib.Request",
        "http.client.connect",
        "ftplib.connect",
        "smtplib.connect",
        "poplib.connect",
        "imaplib.open",
        "nntplib.connect",
        "webbrowser.open",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.spawn",
        "os.posix_spawn",
    }
)

_WRITE_FLAGS: Final[int] = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

# One frozenset of allowed real paths per active no_network() block, innermost last.
_ACTIVE: contextvars.ContextVar[tuple[frozenset[str], ...]] = contextvars.ContextVar(
    "compact_kg_no_network", default=()
)


def _python_roots() -> tuple[str, ...]:
    """Folders Python itself imports from (stdlib, site-packages, this package)."""
    candidates: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            candidates.add(sysconfig.get_paths()[key])
    with contextlib.suppress(AttributeError):
        candidates.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        candidates.add(site.getusersitepackages())
    candidates.add(str(Path(__file__).resolve().parent))
    roots = {os.path.realpath(c) for c in candidates if c}
    return tuple(sorted(r.rstrip(os.sep) + os.sep for r in roots if r != os.sep))


_PYTHON_ROOTS: Final[tuple[str, ...]] = _python_roots()


def _refuse(what: str) -> NoReturn:
    raise UnsafeInputError(
        f"refused {what} while reading untrusted input",
        hint="compact-kg never follows links in data; remove the reference from the file.",
    )


def _open_is_allowed(policies: tuple[frozenset[str], ...], args: tuple[Any, ...]) -> bool:
    """Whether an ``open`` audit event (path, mode, flags) may go ahead."""
    target, mode, flags = (*tuple(args), None, None, None)[:3]
    if isinstance(target, int):
        return True  # an already-open descriptor
    try:
        real = os.path.realpath(os.fsdecode(target))
    except (TypeError, ValueError):
        return False
    writing = bool((flags or 0) & _WRITE_FLAGS) or any(c in (mode or "") for c in "wax+")
    if not writing and all(real in allowed for allowed in policies):
        return True
    if real.startswith(_PYTHON_ROOTS):
        # Lazy imports read modules and may cache bytecode; nothing else is written there.
        return not writing or f"{os.sep}__pycache__{os.sep}" in real
    return False


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    policies = _ACTIVE.get()
    if not policies:
        return
    if event == "open":
        if not _open_is_allowed(policies, args):
            _refuse(f"opening the file {args[0]!r}")
    elif event in _BLOCKED_EVENTS:
        _refuse(f"network or process access ({event})")


sys.addaudithook(_audit_hook)  # once per process; audit hooks cannot be removed


@contextlib.contextmanager
def no_network(allow: Iterable[str | os.PathLike[str]] = ()) -> Iterator[None]:
    """Refuse network access, new processes and foreign file opens inside the block.

    While active in the current thread (or asyncio task), any socket connection or DNS
    look-up, urllib request, subprocess, or ``open()`` of a file other than those in
    ``allow`` (read-only) raises :class:`UnsafeInputError`. Python's own module folders
    stay readable so lazy imports work. Blocks nest: a file must be allowed by every
    active block. New threads start outside the block. Code that does I/O without Python
    (pyoxigraph's Rust internals, C libraries) is not seen by the hook.
    """
    allowed = frozenset(os.path.realpath(os.fspath(p)) for p in allow)
    token = _ACTIVE.set((*_ACTIVE.get(), allowed))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


# --------------------------------------------------------------------------------------------
# Where an offset is, and failing there
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """The text being read and the name to show in messages."""

    path: Path
    text: str
    fmt: str

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column in characters) of a character offset."""
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, column

    def fail(self, offset: int, reason: str, hint: str, *, unsafe: bool = False) -> NoReturn:
        line, column = self.position(offset)
        cls = UnsafeInputError if unsafe else InputError
        raise cls(reason, path=self.path, line=line, column=column, hint=hint)


@dataclass(frozen=True)
class _Limits:
    max_literal_bytes: int
    max_depth: int


def _too_long(token: str, limit: int) -> bool:
    """Whether ``token`` is more than ``limit`` bytes in UTF-8 (cheap for short tokens)."""
    if len(token) > limit:
        return True
    return len(token) * 4 > limit and len(token.encode("utf-8")) > limit


# --------------------------------------------------------------------------------------------
# Reading the bytes
# --------------------------------------------------------------------------------------------


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The whole content of a regular file, refusing it unread if larger than ``max_bytes``."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(
            f"cannot read the file ({exc.strerror or exc})",
            path=path,
            hint="Check the path and its permissions.",
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file", path=path, hint="Give the path of an RDF file.")
    if info.st_size > max_bytes:
        _raise_too_large(path, info.st_size, max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read the file ({exc.strerror or exc})",
            path=path,
            hint="Check the path and its permissions.",
        ) from exc
    if len(data) > max_bytes:  # it grew while we looked
        _raise_too_large(path, len(data), max_bytes)
    return data


def _raise_too_large(path: Path, size: int, max_bytes: int) -> NoReturn:
    raise UnsafeInputError(
        f"the file has {size} bytes, more than the limit of {max_bytes}",
        path=path,
        hint="Split it into smaller files (trusted callers may raise max_bytes).",
    )


def _decode(path: Path, data: bytes) -> str:
    """The UTF-8 text of ``data``: not empty, no NUL byte, no invalid byte."""
    if not data:
        raise InputError("the file is empty", path=path, hint="Put RDF statements in it.")
    nul = data.find(b"\x00")
    if nul >= 0:
        _fail_at_byte(path, data, nul, is_nul=True)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail_at_byte(path, data, exc.start, is_nul=False)
    return text.removeprefix("\ufeff")


def _fail_at_byte(path: Path, data: bytes, offset: int, *, is_nul: bool) -> NoReturn:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    if is_nul:
        reason = "the file contains a NUL byte, so it is binary, not RDF text"
        hint = "Give a UTF-8 text file in Turtle, N-Triples, JSON-LD or RDF/XML."
    else:
        reason = f"invalid UTF-8 (byte 0x{data[offset]:02x})"
        hint = "Save the file as UTF-8."
    raise InputError(reason, path=path, line=line, column=column, hint=hint)


# --------------------------------------------------------------------------------------------
# Pre-scans: bounded depth and literal size, refused references, before any parser runs
# --------------------------------------------------------------------------------------------

_DQ_LONG = r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""|\Z)'
_SQ_LONG = r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\Z)"
_DQ_SHORT = r'"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"?'
_SQ_SHORT = r"'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'?"

_TURTLE_SCAN = re.compile(
    rf"(?P<string>{_DQ_LONG}|{_SQ_LONG}|{_DQ_SHORT}|{_SQ_SHORT})"
    r"|(?P<iri><[^<>\r\n]*>?)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<open>[\[(])"
    r"|(?P<close>[\])])",
    re.S,
)


def _depth_error(src: _Source, offset: int, limits: _Limits) -> NoReturn:
    src.fail(
        offset,
        f"nesting deeper than {limits.max_depth} levels",
        "Flatten the nested structure (use named nodes instead of deep nesting).",
        unsafe=True,
    )


def _literal_error(src: _Source, offset: int, limits: _Limits) -> NoReturn:
    src.fail(
        offset,
        f"a literal longer than {limits.max_literal_bytes} bytes",
        "Shorten the value or link to it instead of embedding it.",
        unsafe=True,
    )


def _scan_turtle(src: _Source, limits: _Limits) -> None:
    """Bound ``[``/``(`` nesting and string length in Turtle or N-Triples."""
    depth = 0
    for match in _TURTLE_SCAN.finditer(src.text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > limits.max_depth:
                _depth_error(src, match.start(), limits)
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "string" and _too_long(match.group(), limits.max_literal_bytes):
            _literal_error(src, match.start(), limits)


_JSON_SCAN = re.compile(
    r'(?P<string>"[^"\\]*(?:\\.[^"\\]*)*"?)'
    r"|(?P<open>[\[{])"
    r"|(?P<close>[\]}])"
    r"|(?P<colon>:)"
    r"|(?P<comma>,)"
    r"|(?P<scalar>[^\s\[\]{}:,\"]+)",
    re.S,
)

_JSONLD_IRI_KEYWORDS: Final[frozenset[str]] = frozenset({"@id", "@type", "@vocab", "@base"})


@dataclass
class _JsonState:
    """What the JSON-LD scan remembers between tokens."""

    has_base: bool
    depth: int = 0
    last_key: str | None = None  # a key whose ':' we have just seen
    pending: str | None = None  # a string that may turn out to be a key
    pending_at: int = 0
    context_array_depth: int | None = None  # depth inside an "@context": [ ... ]


def _json_string(token: str) -> str:
    """The value of a JSON string token (best effort for malformed ones)."""
    body = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
    if "\\" not in body:
        return body
    try:
        import json

        return str(json.loads(f'"{body}"'))
    except ValueError:
        return body


def _scan_jsonld(src: _Source, limits: _Limits) -> None:
    """Bound nesting and string length; refuse non-inline contexts, ``@import``, bad IRIs."""
    state = _JsonState(has_base='"@base"' in src.text)
    for match in _JSON_SCAN.finditer(src.text):
        kind, token, at = match.lastgroup, match.group(), match.start()
        if kind == "string" and _too_long(token, limits.max_literal_bytes):
            _literal_error(src, at, limits)
        if kind == "colon" and state.pending is not None:
            _json_key(src, state, state.pending, state.pending_at)
            state.pending = None
            continue
        if state.pending is not None:
            state.pending = None
        if kind == "string":
            _json_value_or_key(src, state, _json_string(token), at)
        elif kind == "open":
            _json_open(src, state, at, limits)
        elif kind == "close":
            state.depth = max(state.depth - 1, 0)
            if state.context_array_depth is not None and state.depth < state.context_array_depth:
                state.context_array_depth = None
            state.last_key = None
        elif kind in ("scalar", "comma"):
            state.last_key = None


def _json_open(src: _Source, state: _JsonState, at: int, limits: _Limits) -> None:
    state.depth += 1
    if state.depth > limits.max_depth:
        _depth_error(src, at, limits)
    if state.last_key == "@context" and src.text[at] == "[":
        state.context_array_depth = state.depth
    state.last_key = None


def _json_value_or_key(src: _Source, state: _JsonState, value: str, at: int) -> None:
    """A string token: a value of the last key, an array item, or a key to come."""
    if state.last_key is not None:
        _json_value(src, state.last_key, value, at, state.has_base)
        state.last_key = None
    elif state.context_array_depth == state.depth:
        _refuse_context(src, value, at)
    else:
        state.pending, state.pending_at = value, at


def _json_key(src: _Source, state: _JsonState, key: str, at: int) -> None:
    if key == "@import":
        src.fail(
            at,
            "JSON-LD @import loads another document",
            "Copy the imported terms into an inline @context object.",
            unsafe=True,
        )
    if ":" in key and not key.startswith("@") and _IRI_BAD_CHAR.search(key):
        _bad_iri(src, key, at)
    state.last_key = key


def _json_value(src: _Source, key: str, value: str, at: int, has_base: bool) -> None:
    if key == "@context":
        _refuse_context(src, value, at)
    if key not in _JSONLD_IRI_KEYWORDS:
        return
    if _IRI_BAD_CHAR.search(value):
        _bad_iri(src, value, at)
    if key == "@id" and ":" not in value and not has_base:
        src.fail(
            at,
            f"relative IRI {value!r} with no base; JSON-LD would silently drop it",
            "Use an absolute IRI or a compact IRI with a prefix from the context.",
        )


def _refuse_context(src: _Source, value: str, at: int) -> NoReturn:
    src.fail(
        at,
        f"JSON-LD @context {value!r} refers to another document",
        "Only inline @context objects are accepted; paste the context into the file.",
        unsafe=True,
    )


def _bad_iri(src: _Source, value: str, at: int) -> NoReturn:
    src.fail(
        at,
        f"{value[:60]!r} is not a valid IRI (spaces or forbidden characters)",
        "Percent-encode the characters or fix the IRI.",
    )


_XML_REFUSED = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_XML_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_XML_SCAN = re.compile(
    r"(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<cdata><!\[CDATA\[.*?(?:\]\]>|\Z))"
    r"|(?P<pi><\?.*?(?:\?>|\Z))"
    r"|(?P<end></[^>]*>?)"
    r"|(?P<start><[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>?)"
    r"|(?P<text>[^<]+)",
    re.S,
)
_XML_ATTRIBUTE = re.compile(r"\"[^\"]*\"|'[^']*'")


def _scan_xml(src: _Source, limits: _Limits) -> None:
    """Refuse DTDs and foreign encodings; bound element nesting, text and attribute size."""
    refused = _XML_REFUSED.search(src.text)
    if refused:
        src.fail(
            refused.start(),
            "RDF/XML with a DOCTYPE or ENTITY declaration",
            "Remove the DTD; entities can read other files or expand without bound.",
            unsafe=True,
        )
    declared = _XML_ENCODING.match(src.text)
    encoding = declared.group(1).lower().replace("_", "-") if declared else "utf-8"
    if declared and encoding not in ("utf-8", "utf8", "us-ascii", "ascii"):
        src.fail(
            declared.start(1),
            f"the XML declaration names the encoding {declared.group(1)!r}",
            'Save the file as UTF-8 and declare encoding="UTF-8".',
        )
    depth = 0
    for match in _XML_SCAN.finditer(src.text):
        kind, token = match.lastgroup, match.group()
        if kind == "start":
            _check_xml_attributes(src, match, limits)
            if not token.endswith("/>"):
                depth += 1
                if depth > limits.max_depth:
                    _depth_error(src, match.start(), limits)
        elif kind == "end":
            depth = max(depth - 1, 0)
        elif kind in ("text", "cdata") and _too_long(token, limits.max_literal_bytes):
            _literal_error(src, match.start(), limits)


def _check_xml_attributes(src: _Source, tag: re.Match[str], limits: _Limits) -> None:
    if len(tag.group()) <= limits.max_literal_bytes // 4:
        return
    for value in _XML_ATTRIBUTE.finditer(tag.group()):
        if _too_long(value.group(), limits.max_literal_bytes):
            _literal_error(src, tag.start() + value.start(), limits)


_SCANNERS: Final = {
    "turtle": _scan_turtle,
    "nt": _scan_turtle,
    "json-ld": _scan_jsonld,
    "xml": _scan_xml,
}


# --------------------------------------------------------------------------------------------
# Parsing with pyoxigraph, building the rdflib graph
# --------------------------------------------------------------------------------------------

_OX_POSITION_PREFIX = re.compile(
    r"^Parser error at line \d+ (?:between )?columns? \d+(?: and \d+)?: "
)


def _syntax_error(src: _Source, exc: Exception) -> InputError:
    """An :class:`InputError` carrying the line and column pyoxigraph reported."""
    title = _FORMAT_TITLES[src.fmt]
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "offset", None) if line is not None else None
    detail = _OX_POSITION_PREFIX.sub("", str(getattr(exc, "msg", None) or exc))
    if "LoadDocumentCallback" in detail:
        return UnsafeInputError(
            "JSON-LD refers to a remote context",
            path=src.path,
            hint="Only inline @context objects are accepted; paste the context into the file.",
        )
    return InputError(
        f"{title} syntax error: {detail}",
        path=src.path,
        line=line,
        column=column,
        hint=_syntax_hint(src),
    )


def _syntax_hint(src: _Source) -> str:
    start = src.text.lstrip()[:5]
    if src.fmt in ("turtle", "nt") and start[:1] in ("{", "["):
        return "This looks like JSON-LD: name the file .jsonld or pass format='json-ld'."
    if src.fmt in ("turtle", "nt", "json-ld") and start.startswith("<?xml"):
        return "This looks like RDF/XML: name the file .rdf or pass format='xml'."
    if src.fmt in ("json-ld", "xml") and start[:1] in ("@", "<", "#") and start != "<?xml":
        return "This looks like Turtle: name the file .ttl or pass format='turtle'."
    return f"Fix the {_FORMAT_TITLES[src.fmt]} at this position."


def _parse_oxigraph(src: _Source, data: bytes, base: str | None,
                    max_triples: int | None = None) -> Graph:
    """Parse strictly with pyoxigraph and return the triples as an rdflib graph."""
    try:
        parser = ox.parse(input=data, format=FORMATS[src.fmt], base_iri=base)
        graph = _to_rdflib(src, parser, max_triples=max_triples)
        prefixes = dict(parser.prefixes)
    except (SyntaxError, ValueError, OSError) as exc:
        raise _syntax_error(src, exc) from exc
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, URIRef(namespace), override=True, replace=True)
    return graph


class _Converter:
    """pyoxigraph terms to rdflib terms: fresh blank nodes, literals kept as written."""

    def __init__(self, src: _Source) -> None:
        self._src = src
        self._iris: dict[str, URIRef] = {}
        self._bnodes: dict[str, BNode] = {}

    def term(self, term: Any) -> Node:
        if isinstance(term, ox.NamedNode):
            iri = self._iris.get(term.value)
            if iri is None:
                if not _IRI_OK.fullmatch(term.value):
                    _term_error(self._src.path, f"{term.value[:60]!r} is not a valid absolute IRI")
                iri = self._iris[term.value] = URIRef(term.value)
            return iri
        if isinstance(term, ox.BlankNode):
            node = self._bnodes.get(term.value)
            if node is None:
                node = self._bnodes[term.value] = BNode()
            return node
        if isinstance(term, ox.Literal):
            return self._literal(term)
        raise InputError(
            "RDF 1.2 triple terms are not supported",
            path=self._src.path,
            hint="Use plain RDF 1.1 triples (reification) instead.",
        )

    def _literal(self, term: ox.Literal) -> Literal:
        if term.direction is not None:
            raise InputError(
                "RDF 1.2 directional language strings are not supported",
                path=self._src.path,
                hint="Drop the base direction (--ltr/--rtl) from language tags.",
            )
        if term.language:
            return Literal(term.value, lang=canonical_language_tag(term.language), normalize=False)
        datatype = term.datatype.value
        if datatype == str(XSD.string):
            return Literal(term.value, normalize=False)
        return Literal(term.value, datatype=self.term(term.datatype), normalize=False)


def canonical_language_tag(tag: str) -> str:
    """BCP 47 case conventions (pyoxigraph lower-cases tags): ``en-gb`` becomes ``en-GB``."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def _to_rdflib(src: _Source, quads: Iterable[ox.Quad], graph: Graph | None = None, *,
               max_triples: int | None = None) -> Graph:
    convert = _Converter(src).term
    graph = Graph(bind_namespaces="core") if graph is None else graph
    add = graph.add
    for count, quad in enumerate(quads, 1):
        if max_triples is not None and count > max_triples:  # stop parsing here
            raise TooManyTriplesError(
                f"the file holds more than {max_triples:,} triples, the most read from it",
                path=src.path, limit=max_triples, hint="Split it into smaller files.")
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise InputError(
                "named graphs are not supported here",
                path=src.path,
                hint="Give a single graph (Turtle, N-Triples, JSON-LD or RDF/XML).",
            )
        subject, predicate = quad.subject, quad.predicate
        # pyoxigraph already refuses these; checked again because rdflib would accept them
        if isinstance(subject, ox.Literal):
            _term_error(src.path, f"the literal {subject.value[:60]!r} is used as a subject")
        if not isinstance(predicate, ox.NamedNode):
            _term_error(src.path, f"the predicate {predicate} is not an IRI")
        add((convert(subject), convert(predicate), convert(quad.object)))
    return graph


def _term_error(path: Path, reason: str) -> NoReturn:
    raise InputError(reason, path=path, hint="Fix the term; RDF allows it only elsewhere.")


# --------------------------------------------------------------------------------------------
# read_rdf
# --------------------------------------------------------------------------------------------


def read_turtle(path: str | os.PathLike[str], graph: Graph | None = None, *,
                max_bytes: int = MAX_TRUSTED_BYTES) -> Graph:
    """Read one of the project's own Turtle files (ontology, data, shapes) into ``graph``.

    The project's files are trusted, so the untrusted-input pre-scan of :func:`read_rdf` is
    skipped; parsing is as strict (pyoxigraph, errors with line and column), literals keep
    their lexical form and blank nodes are fresh for every file. Returns ``graph`` (a new one
    when None).

    :raises InputError: the file cannot be read, is larger than ``max_bytes``, or is not
        valid Turtle (``FILE:LINE:COLUMN``).
    """
    file = Path(path)
    route_rdflib_literal_warnings()
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise InputError(f"the file is {size} bytes, more than the {max_bytes} allowed",
                             path=file, hint="Split it into smaller files.")
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror or error})", path=file,
                         hint="Check the path and its permissions.") from error
    src = _Source(file, "", "turtle")
    try:
        with _quiet_rdflib():
            # no base IRI: a relative IRI in a project file is an error, not a file: IRI
            return _to_rdflib(src, ox.parse(input=data, format=ox.RdfFormat.TURTLE), graph)
    except (SyntaxError, ValueError) as exc:
        text = data.decode("utf-8", errors="replace")
        raise _syntax_error(_Source(file, text, "turtle"), exc) from exc


def read_turtle_files(paths: Iterable[str | os.PathLike[str]],
                      graph: Graph | None = None) -> Graph:
    """:func:`read_turtle` for several of the project's files, into one graph."""
    graph = Graph() if graph is None else graph
    for path in paths:
        read_turtle(path, graph)
    return graph


class _IllTypedLiteralRecords(logging.Filter):
    """Turn rdflib's warning about a literal it cannot convert into a DEBUG record.

    rdflib logs a warning with a full traceback whenever a typed literal's lexical form is not
    valid for its datatype (``"2011-13-45"^^xsd:date``), whoever creates the literal. compact-kg
    reports such literals itself, as violations at their line and column
    (:mod:`compact_kg.literals`), so the record is kept only at DEBUG, without the traceback:
    no handler of a program at its default level prints it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and str(record.msg).startswith(
                "Failed to convert Literal lexical form"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info, record.exc_text = None, None
        return True


_RDFLIB_LITERAL_WARNINGS: Final[tuple[str, ...]] = ("Parsing weird boolean",
                                                    "Serializing weird numerical")


def route_rdflib_literal_warnings() -> None:
    """Install :class:`_IllTypedLiteralRecords` on rdflib's ``rdflib.term`` logger, and ignore
    rdflib's ``warnings.warn`` about booleans other than true/false/1/0 and about writing an
    ill-typed number (compact-kg reports such literals as violations).

    Called at import and again by every reader and checker of literals: a
    ``warnings.catch_warnings()`` block (pytest runs each test in one) drops the warning
    filters added inside it, so they are put back when missing. Cheap when in place.
    """
    logger = logging.getLogger("rdflib.term")
    if not any(isinstance(f, _IllTypedLiteralRecords) for f in logger.filters):
        logger.addFilter(_IllTypedLiteralRecords())
    present = {getattr(f[1], "pattern", None) for f in warnings.filters if f[0] == "ignore"}
    for message in _RDFLIB_LITERAL_WARNINGS:
        if message not in present:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)


route_rdflib_literal_warnings()


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's logged tracebacks for ill-typed literals (the shapes report them)."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_rdf(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    max_bytes: int = 10_000_000,
    max_literal_bytes: int = 1_000_000,
    max_depth: int = 64,
    base: str | None = None,
    max_triples: int | None = None,
) -> Graph:
    """Read one RDF file safely and return its triples as an rdflib graph.

    ``format`` is ``"turtle"``, ``"nt"``, ``"json-ld"`` or ``"xml"`` (RDF/XML); ``None``
    guesses it from the suffix (see :data:`SUFFIXES`). ``base`` resolves relative IRIs;
    without it a relative IRI is an error (never resolved against the file's location).

    Literals keep their lexical form (``"01"^^xsd:integer`` stays ``01``) without touching
    ``rdflib.NORMALIZE_LITERALS``; pyoxigraph lower-cases language tags, which are put back in
    BCP 47 case (``@en-gb`` becomes ``@en-GB``) by :func:`canonical_language_tag`. Blank nodes
    are fresh for every call; the file's prefixes are bound in the graph. Nothing in the file can
    cause network access or the reading of another file. With ``max_triples``, parsing stops
    at the first triple past it (:class:`~compact_kg.errors.TooManyTriplesError`). Every
    failure raises
    :class:`InputError` (or :class:`UnsafeInputError` for refused content) naming the
    file and, when known, line and column.
    """
    file = Path(path)
    fmt = _resolve_format(file, format)
    route_rdflib_literal_warnings()
    limits = _Limits(max_literal_bytes=max_literal_bytes, max_depth=max_depth)
    with no_network(allow=[file]):
        data = _read_bounded(file, max_bytes)
        src = _Source(path=file, text=_decode(file, data), fmt=fmt)
        _SCANNERS[fmt](src, limits)
        try:
            graph = _parse_oxigraph(src, src.text.encode("utf-8"), base, max_triples)
        except RecursionError as exc:  # not expected after the depth scan; never let it out
            raise UnsafeInputError(
                "the file nests too deeply to parse",
                path=file,
                hint="Flatten the nested structure.",
            ) from exc
    return graph


# --------------------------------------------------------------------------------------------
# SourceMap: where subjects and statements are written in a Turtle / N-Triples file
# --------------------------------------------------------------------------------------------

_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
# Names (prefixed names, blank node labels, numbers, keywords) are taken as one run of name
# characters and classified afterwards: a single linear pass, no backtracking across a run.
_TURTLE_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<iri><[^<>\r\n]*>)"
    rf"|(?P<string>{_DQ_LONG}|{_SQ_LONG}|{_DQ_SHORT}|{_SQ_SHORT})"
    r"|(?P<at>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<datatype>\^\^)"
    rf"|(?P<name>(?:[\w.:+\-\u00b7]|%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})+)"
    r"|(?P<punct>[;,\[\]()])"
    r"|(?P<other>.)",
    re.S,
)
_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*[eE][+-]?\d+|\.?\d+[eE][+-]?\d+|\d*\.\d+|\d+)")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(_PN_LOCAL_ESC)

Position = tuple[int, int]


@dataclass
class _Frame:
    """One level of the Turtle grammar: a statement, a ``[ ... ]`` or a ``( ... )``."""

    kind: str  # "statement" | "bnode" | "list"
    expect: str  # "subject" | "predicate" | "object" | "after"
    subject: Node | None = None
    resume: str = "after"  # what the parent expects once this frame closes


@dataclass
class _SourceMapBuilder:
    """A small Turtle tokenizer and state machine recording where statements start."""

    base: str | None
    line_starts: list[int]
    prefixes: dict[str, str] = field(default_factory=dict)
    subjects: dict[Node, Position] = field(default_factory=dict)
    statements: dict[tuple[Node, Node], Position] = field(default_factory=dict)
    stack: list[_Frame] = field(default_factory=lambda: [_Frame("statement", "subject")])
    directive: str | None = None  # "prefix", "prefix-iri" or "base" while reading one
    directive_name: str = ""
    literals: dict[tuple[str, str], Position] = field(default_factory=dict)
    terms: dict[Node, Position] = field(default_factory=dict)
    skip_datatype: bool = False
    last_string: tuple[str, int] | None = None  # the string a ^^datatype may follow

    def position(self, offset: int) -> Position:
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def feed(self, kind: str, lexeme: str, offset: int) -> None:
        if self.directive is not None:
            self._directive_token(kind, lexeme)
        elif kind == "punct":
            self._punct(lexeme)
        elif kind == "datatype":
            self.skip_datatype = True
        elif kind == "at":
            self._at(lexeme)
        elif kind == "word" and lexeme.upper() in ("PREFIX", "BASE") and self._at_statement_start():
            self.directive = lexeme.lower()
        elif kind in ("iri", "pname", "bnode", "string", "number", "word"):
            if self.skip_datatype:
                self.skip_datatype = False
                self._datatype(kind, lexeme, offset)
            else:
                self._term(kind, lexeme, offset)
            self.last_string = (lexeme, offset) if kind == "string" else None

    def _at_statement_start(self) -> bool:
        return len(self.stack) == 1 and self.stack[0].expect == "subject"

    def _at(self, lexeme: str) -> None:
        if lexeme.lower() in ("@prefix", "@base") and self._at_statement_start():
            self.directive = lexeme[1:].lower()
        # otherwise a language tag: part of the literal before it

    def _directive_token(self, kind: str, lexeme: str) -> None:
        if self.directive == "prefix" and kind == "pname":
            self.directive_name, self.directive = lexeme[:-1], "prefix-iri"
        elif self.directive in ("prefix-iri", "base") and kind == "iri":
            iri = self._iri(lexeme)
            if self.directive == "base":
                self.base = iri
            else:
                self.prefixes[self.directive_name] = iri
            self.directive = None
        elif kind not in ("ws", "comment"):
            self.directive = None  # malformed; resynchronise

    def _iri(self, lexeme: str) -> str:
        iri = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), lexeme[1:-1])
        return urljoin(self.base, iri) if self.base else iri

    def _node(self, kind: str, lexeme: str) -> Node | None:
        """The IRI a term token stands for; None for blank nodes, literals and junk."""
        if kind == "word" and lexeme == "a":
            return RDF.type
        iri: str | None = None
        if kind == "iri":
            iri = self._iri(lexeme)
        elif kind == "pname":
            prefix, _, local = lexeme.partition(":")
            namespace = self.prefixes.get(prefix)
            if namespace is not None:
                iri = namespace + _LOCAL_ESCAPE.sub(lambda m: m.group()[1:], local)
        return URIRef(iri) if iri is not None and _IRI_OK.fullmatch(iri) else None

    def _datatype(self, kind: str, lexeme: str, offset: int) -> None:
        """The datatype after ``^^``: where the typed literal before it is written."""
        datatype = self._node(kind, lexeme)
        if datatype is None:
            return
        self.terms.setdefault(datatype, self.position(offset))
        if self.last_string is not None:
            value = _string_value(self.last_string[0])
            self.literals.setdefault((value, str(datatype)), self.position(self.last_string[1]))

    def _term(self, kind: str, lexeme: str, offset: int) -> None:
        if kind in ("iri", "pname") or (kind == "word" and lexeme == "a"):
            node = self._node(kind, lexeme)
            if node is not None and kind != "word":
                self.terms.setdefault(node, self.position(offset))
        frame = self.stack[-1]
        if frame.expect == "subject":
            frame.subject = self._node(kind, lexeme)
            if frame.subject is not None:
                self.subjects.setdefault(frame.subject, self.position(offset))
            frame.expect = "predicate"
        elif frame.expect == "predicate":
            predicate = self._node(kind, lexeme)
            if frame.subject is not None and predicate is not None:
                self.statements.setdefault((frame.subject, predicate), self.position(offset))
            frame.expect = "object"
        elif frame.expect == "object" and frame.kind != "list":
            frame.expect = "after"

    def _punct(self, lexeme: str) -> None:
        frame = self.stack[-1]
        if lexeme in "[(":
            self._open(frame, lexeme)
        elif (lexeme, frame.kind) in ((")", "list"), ("]", "bnode")):
            self.stack.pop()
            self.stack[-1].expect = frame.resume
        elif lexeme == "," and frame.expect == "after":
            frame.expect = "object"
        elif lexeme == ";" and frame.expect in ("after", "predicate"):
            frame.expect = "predicate"
        elif lexeme == ".":
            del self.stack[1:]
            self.stack[0].subject, self.stack[0].expect = None, "subject"

    def _open(self, frame: _Frame, lexeme: str) -> None:
        if frame.expect == "subject":
            frame.subject, resume = None, "predicate"
        elif frame.kind == "list":
            resume = "object"
        else:
            resume = "after"
        if lexeme == "[":
            self.stack.append(_Frame("bnode", "predicate", resume=resume))
        else:
            self.stack.append(_Frame("list", "object", resume=resume))


_ECHAR: Final[Mapping[str, str]] = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f",
                                    '"': '"', "'": "'", "\\": "\\"}
_STRING_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)


def _string_value(lexeme: str) -> str:
    """The value of a Turtle string token: delimiters off, escapes decoded."""
    quote = lexeme[:3] if lexeme[:3] in ('"""', "'''") else lexeme[:1]
    body = lexeme[len(quote):]
    if body.endswith(quote):
        body = body[:-len(quote)]

    def unescape(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        return _ECHAR.get(match.group(3), match.group())

    return _STRING_ESCAPE.sub(unescape, body) if "\\" in body else body


def _split_name(run: str, offset: int) -> Iterator[tuple[str, str, int]]:
    """Classify a run of name characters; trailing unescaped dots end a statement."""
    core = run
    while core.endswith(".") and not core.endswith("\\."):
        core = core[:-1]
    if core:
        if core.startswith("_:"):
            kind = "bnode"
        elif ":" in core:
            kind = "pname"
        elif _NUMBER.fullmatch(core):
            kind = "number"
        else:
            kind = "word" if core.isalpha() else "other"
        yield kind, core, offset
    for index in range(len(core), len(run)):
        yield "punct", ".", offset + index


@dataclass(frozen=True)
class SourceMap:
    """Where each subject IRI, and each (subject IRI, predicate) pair, is first written.

    Positions are 1-based ``(line, column)``, columns counted in characters. Built for
    Turtle and N-Triples; for other formats the map is empty (no positions known).
    Blank nodes get no entry (their parsed identifiers are fresh), but statements
    inside ``[ ... ]`` still keep the tokenizer in step.
    """

    subjects: Mapping[Node, Position]
    statements: Mapping[tuple[Node, Node], Position]
    literals: Mapping[tuple[str, str], Position] = field(default_factory=dict)
    """Where each typed literal, by (lexical form, datatype IRI), is first written."""
    terms: Mapping[Node, Position] = field(default_factory=dict)
    """Where each IRI (a subject, a property, a class, a datatype, any object) is first
    written."""

    @classmethod
    def from_bytes(cls, data: bytes, fmt: str, *, base: str | None = None) -> SourceMap:
        """Map the subjects and statements of ``data`` (``fmt`` as in :func:`read_rdf`)."""
        if fmt not in ("turtle", "nt"):
            return cls(subjects={}, statements={})
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        starts = [0, *(m.end() for m in re.finditer("\n", text))]
        builder = _SourceMapBuilder(base=base, line_starts=starts)
        for match in _TURTLE_TOKEN.finditer(text):
            kind = match.lastgroup or "other"
            if kind == "name":
                for token in _split_name(match.group(), match.start()):
                    builder.feed(*token)
            elif kind not in ("ws", "comment"):
                builder.feed(kind, match.group(), match.start())
        return cls(subjects=builder.subjects, statements=builder.statements,
                   literals=builder.literals, terms=builder.terms)

    def locate(self, subject: Node, predicate: Node | None = None) -> Position | None:
        """Where ``subject`` (and ``predicate`` if given, falling back to the subject) is."""
        if predicate is not None:
            found = self.statements.get((subject, predicate))
            if found is not None:
                return found
        return self.subjects.get(subject)


def find_positions(data: bytes, fmt: str, *, base: str | None = None) -> dict[Node, Position]:
    """Map each subject IRI of a Turtle/N-Triples document to its first ``(line, column)``."""
    return dict(SourceMap.from_bytes(data, fmt, base=base).subjects)


# --------------------------------------------------------------------------------------------
# Constructs a submission may not carry
# --------------------------------------------------------------------------------------------


def refused_constructs(graph: Graph) -> list[str]:
    """Messages, one per problem, for SHACL shape triples or ``owl:imports`` in ``graph``.

    A submission may not carry shapes (they could switch validation off when mixed with
    data) nor import other documents (which compact-kg never follows). An empty list
    means the graph is acceptable on this count. The order is stable.
    """
    found: set[str] = set()
    shacl = str(SH)
    for subject, predicate, obj in graph:
        if predicate == OWL.imports:
            found.add(
                f"{_show(subject)} owl:imports {_show(obj)}: submissions may not import other "
                "documents. Remove the owl:imports statement."
            )
        elif str(predicate).startswith(shacl):
            found.add(
                f"{_show(subject)} uses the SHACL property {_show(predicate)}: submissions may "
                "not contain shapes. Remove the sh: statements."
            )
        elif predicate == RDF.type and str(obj).startswith(shacl):
            found.add(
                f"{_show(subject)} is declared a {_show(obj)}: submissions may not contain "
                "shapes. Remove the sh: statements."
            )
    return sorted(found)


def _show(node: Node) -> str:
    return node.n3() if isinstance(node, URIRef | Literal) else "a blank node"


# --------------------------------------------------------------------------------------------
# Writing Turtle atomically
# --------------------------------------------------------------------------------------------

_PLAIN_FORMS: Final[Mapping[URIRef, re.Pattern[str]]] = {
    XSD.integer: re.compile(r"[+-]?\d+"),
    XSD.decimal: re.compile(r"[+-]?\d*\.\d+"),
    XSD.boolean: re.compile(r"true|false"),
}


class _LosslessTurtleSerializer(TurtleSerializer):
    """rdflib's Turtle serialiser, but a literal is written bare only if that keeps its
    lexical form (rdflib rewrites doubles as ``1e+03`` and decimals ``1`` as ``1.0``)."""

    def label(self, node: Node, position: int) -> str:
        if isinstance(node, Literal) and node.datatype is not None and not node.language:
            plain = _PLAIN_FORMS.get(node.datatype)
            bare = plain is not None and plain.fullmatch(str(node)) is not None
            return node._literal_n3(
                use_plain=bare,
                qname_callback=lambda dt: self.get_pname(dt, True),
            )
        return str(super().label(node, position))


def _serialise_turtle(graph: Graph) -> bytes:
    if isinstance(graph, rdflib.ConjunctiveGraph):
        raise CompactKGError(
            "write_turtle_atomic writes one graph; Turtle would drop the named graphs. "
            "Pass a plain rdflib.Graph."
        )
    buffer = _Buffer()
    try:
        _LosslessTurtleSerializer(graph).serialize(buffer, encoding="utf-8")
    except Exception as exc:  # rdflib raises bare Exception for unserialisable terms
        raise CompactKGError(
            f"cannot write the graph as Turtle ({exc}). Fix the offending term."
        ) from exc
    return buffer.getvalue()


class _Buffer:
    """A minimal bytes sink (TurtleSerializer only calls ``write``)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


def _fsync_directory(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_synced(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def _verify_written(temp: Path, target: Path, graph: Graph, size: int) -> None:
    """Re-read what reached the disk and check it is the same graph."""
    try:
        again = read_rdf(
            temp, format="turtle", max_bytes=size, max_literal_bytes=size, max_depth=100_000
        )
    except InputError as exc:
        raise CompactKGError(
            f"{target}: the Turtle written for this graph does not read back "
            f"({exc.reason}). The original file is unchanged; fix the offending term."
        ) from exc
    if not isomorphic(again, graph):
        raise CompactKGError(
            f"{target}: the written Turtle does not read back as the same graph. "
            "The original file is unchanged; report this as a bug."
        )


STALE_TEMP_SECONDS = 3600


def _remove_stale_temps(target: Path) -> None:
    """Delete ``.NAME.*.tmp`` files left in ``target``'s folder by killed writes of it.

    Only files older than an hour go, so a write still in progress keeps its file."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for temp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if temp.is_file() and temp.stat().st_mtime < cutoff:
                temp.unlink()


def write_turtle_atomic(
    graph: Graph,
    path: str | os.PathLike[str],
    *,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write ``graph`` as Turtle to ``path`` all at once, or not at all.

    The Turtle goes to a temporary file in the same folder, is flushed and fsynced, read
    back and checked isomorphic to ``graph``, and only then moved over ``path`` with
    ``os.replace``. On any failure ``path`` is untouched, the temporary file is removed
    and :class:`CompactKGError` is raised.
    Literals keep their lexical form. An existing file's permission bits are kept.
    ``before_replace``, if given, is called after the check and before the move; an
    exception from it aborts the write (``submit`` uses it to re-check that the target is
    still free, and its tests to pause there).
    Temporary files of earlier writes of ``path`` that were killed before they could clean
    up (older than :data:`STALE_TEMP_SECONDS`) are removed first.
    """
    target = Path(path)
    folder = target.parent
    _remove_stale_temps(target)
    data = _serialise_turtle(graph)
    if not data.strip():
        data = b"# This graph is empty.\n"
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_synced(handle, data)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        temp.chmod(mode)
        if len(graph):
            _verify_written(temp, target, graph, len(data))
        if before_replace is not None:
            before_replace()
        temp.replace(target)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CompactKGError(
                f"{target}: cannot write the file ({exc.strerror or exc}). "
                "The original file is unchanged; check the folder and free space."
            ) from exc
        raise
    _fsync_directory(folder)


def write_bytes_atomic(data: bytes, path: str | os.PathLike[str], *,
                       exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` all at once, or not at all (as :func:`write_turtle_atomic`:
    a flushed and fsynced temporary file in the same folder, then a rename).

    ``exclusive``: refuse (FileExistsError, nothing written) when ``path`` already exists.
    """
    target = Path(path)
    folder = target.parent
    _remove_stale_temps(target)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_synced(handle, data)
        temp.chmod(0o644)
        if exclusive:
            os.link(temp, target)  # fails if the target exists: no other writer is replaced
            temp.unlink()
        else:
            temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(folder)
