"""One text for the guard and the engine: a SPARQL query re-written in a form both parsers
read alike.

compact-kg checks a query with rdflib's SPARQL parser (refusing updates, ``SERVICE`` and
``FROM``) and runs it with Oxigraph. A check made with one parser while another executes is
only as good as their agreement, and on some texts they disagree. Found on rdflib 7 and
pyoxigraph 0.5 (each reproduced by tests/test_query_fuzz.py's corpus):

- **Comments and line endings.** The grammar ends a ``#`` comment at LF or CR. Oxigraph does;
  rdflib ends it at LF only, so ``# note\\r SERVICE <...> { }`` is a comment to rdflib and a
  SERVICE call to Oxigraph. Other line breaks (U+2028, U+2029, U+0085, VT, FF, NUL) end a
  comment for neither, but Python's ``str.splitlines`` splits at all of them.
- **Codepoint escapes.** The grammar (SPARQL 1.1, section 19.2) processes ``\\uXXXX`` and
  ``\\UXXXXXXXX`` before parsing, anywhere in the text. rdflib does exactly that, so
  ``"\\u0022 ... "`` closes a string early for rdflib; Oxigraph decodes the escape inside
  strings and IRIs only, as a character of the string, and refuses it elsewhere (``?\\u0078``).
  The two also decode ``"\\\\u0041"`` differently (rdflib: a syntax error; Oxigraph:
  the six characters ``\\u0041``).
- **Local-name escapes.** ``ex:a\\#b`` is one prefixed name to Oxigraph; a reader that does
  not know PN_LOCAL_ESC sees a comment starting at ``#``.
- **Byte order mark.** A leading U+FEFF is a syntax error to Oxigraph.

Patching each trick would leave the next one open, so the text is not checked as written.
:func:`canonical_query` reads it once with a lexer that follows the grammar's terminals
exactly (productions 139-173), refuses what the engines would read differently, and writes
the tokens out again in a form with none of the constructs above: no comments, LF line
ends only (the ``#+`` metadata lines of a saved query's header are kept when they hold no
backslash and nothing invisible), no codepoint escapes outside strings, strings with only
``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f`` (and
``\\uXXXX`` for invisible characters, which both engines decode inside a string), IRIs
written out in full where a local name used an
escape. That text is the one rdflib checks, Oxigraph parses and the store runs; remote
endpoints get it too. Its lines are the original's lines and most tokens keep their
column, so a parser's error position still points into the file the user wrote.

The lexer also refuses the keywords of every form that reaches outside the graph
(``SERVICE``, ``FROM``, ``LOAD`` and the update operations) wherever it finds them as
tokens, so rdflib's parse tree, this token stream and Oxigraph's parse (compared in
:mod:`compact_kg.queries`) must all agree before a query runs. Whatever still got through
would meet the query worker, which has no network and no files (:mod:`compact_kg._deadline`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from compact_kg.errors import QueryError

__all__ = ["OUTSIDE_KEYWORDS", "CanonicalQuery", "canonical_query", "split_lines"]

OUTSIDE_KEYWORDS = frozenset({
    "SERVICE", "FROM", "LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE",
    "COPY", "WITH", "USING",
})
"""Keywords that only appear in forms reaching outside the graph, or in updates."""

# The grammar's character classes (SPARQL 1.1 Query, productions 164-173).
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
             rf"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?")

_WS = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\r\n]*")
_VAR = re.compile(rf"[?$]{_VARNAME}")
_PNAME = re.compile(rf"(?P<prefix>{_PN_PREFIX})?:(?P<local>{_PN_LOCAL})?")
_BNODE = re.compile(rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+"
    r"|[0-9]*\.[0-9]+|[0-9]+)"
)
_PUNCT = ("^^", "&&", "||", "!=", "<=", ">=", "<<", ">>", "{", "}", "(", ")", "[", "]", ";",
          ",", ".", "=", "<", ">", "!", "+", "-", "*", "/", "^", "|", "?", "$")
_IRI_CHAR = re.compile(r'[^<>"{}|^`\\\x00-\x20]')
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
          "\\": "\\"}
_LINE_END = re.compile(r"\r\n|\r|\n")
_WRITE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}


@dataclass(frozen=True)
class CanonicalQuery:
    """A query as both parsers should read it.

    ``text`` is what is checked and run; ``keywords`` every keyword token in it (upper
    case); ``outside`` where each of :data:`OUTSIDE_KEYWORDS` first appears (keyword, line,
    column); ``prefixes`` the ``PREFIX`` declarations seen.
    """

    text: str
    keywords: frozenset[str]
    outside: tuple[tuple[str, int, int], ...]
    prefixes: tuple[tuple[str, str], ...]


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines where the SPARQL grammar ends one (LF, CR, CR LF) and nowhere
    else (unlike :meth:`str.splitlines`, which also cuts at U+2028, U+0085, VT, FF, ...)."""
    return _LINE_END.split(text)


def canonical_query(text: str, source: str) -> CanonicalQuery:
    """``text`` re-written token by token in the form described in the module docstring.

    Raises :class:`~compact_kg.errors.QueryError` (``SOURCE:LINE:COLUMN: ...``) where the
    text cannot be read as SPARQL tokens, or holds something the engines read differently.
    """
    return _Lexer(text, source).run()


class _Lexer:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.out: list[str] = []
        self.out_line = 1
        self.out_col = 1
        self.keywords: set[str] = set()
        self.outside: dict[str, tuple[str, int, int]] = {}
        self.prefixes: dict[str, str] = {}
        self._last: tuple[str, str] = ("", "")  # (kind, text) of the two previous tokens
        self._before_last: tuple[str, str] = ("", "")
        self.gap = False  # whitespace or a comment since the last token

    # --- positions and errors --------------------------------------------------------------

    def column(self, pos: int | None = None) -> int:
        return (self.pos if pos is None else pos) - self.line_start + 1

    def fail(self, message: str, pos: int | None = None) -> QueryError:
        return QueryError(f"{self.source}:{self.line}:{self.column(pos)}: {message}")

    # --- writing ---------------------------------------------------------------------------

    def emit(self, token: str, kind: str, line: int, column: int, *, track: bool = True) -> None:
        while self.out_line < line:
            self.out.append("\n")
            self.out_line += 1
            self.out_col = 1
        if self.gap and self.out_col < column:  # keep the column where the text allows it
            self.out.append(" " * (column - self.out_col))
            self.out_col = column
        elif self.gap and self.out_col > 1:
            self.out.append(" ")
            self.out_col += 1
        self.gap = False  # tokens that touched in the text touch in the output
        self.out.append(token)
        self.out_col += len(token)
        if track:
            self._before_last, self._last = self._last, (kind, token)

    # --- reading ---------------------------------------------------------------------------

    def run(self) -> CanonicalQuery:
        text = self.text
        if text.startswith("\ufeff"):
            self.pos = self.line_start = 1  # a byte order mark: not part of the query
        while self.pos < len(text):
            char = text[self.pos]
            line, column = self.line, self.column()
            if char in " \t\r\n":
                self.whitespace()
            elif char == "#":
                self.comment(line, column)
            elif char == "<" and not text.startswith("<<", self.pos):
                self.iri_or_operator(line, column)
            elif char in "\"'":
                self.string(line, column)
            elif char == "@":
                self.langtag(line, column)
            elif char in "?$" and (match := _VAR.match(text, self.pos)):
                self.take(match.group(), "var", line, column)
            elif char == "_" and text.startswith("_:", self.pos):
                match = _BNODE.match(text, self.pos)
                if match is None:
                    raise self.fail("a blank node label '_:' with no name; name it, e.g. _:b1")
                self.take(match.group(), "bnode", line, column)
            elif (char.isdigit() or char == "." or char in "+-") and (
                    match := _NUMBER.match(text, self.pos)) and self.number_allowed(char):
                self.take(match.group(), "number", line, column)
            elif char == "\\":
                raise self.fail(self.backslash_message())
            elif (match := _PNAME.match(text, self.pos)) and match.group():
                self.pname(match, line, column)
            elif match := _WORD.match(text, self.pos):
                self.word(match.group(), line, column)
            else:
                self.punctuation(char, line, column)
        self.out.append("\n" * (self.line - self.out_line))  # the text's last line ends
        return CanonicalQuery("".join(self.out), frozenset(self.keywords),
                              tuple(self.outside.values()), tuple(self.prefixes.items()))

    def comment(self, line: int, column: int) -> None:
        """Drop a comment, but keep a plain ``#+`` metadata line opening a line: the bound
        text of a saved query still carries its header (the endpoint reads it). Plain: no
        backslash (rdflib would expand ``\\u000A`` into a line end) and nothing invisible
        (no U+2028 or the like), so every reader ends it at the same place."""
        token = _COMMENT.match(self.text, self.pos).group()
        self.pos += len(token)
        if (column == 1 and token.startswith("#+") and "\\" not in token
                and not any(_invisible(char) for char in token)):
            self.emit(token, "comment", line, column, track=False)
        self.gap = True

    def whitespace(self) -> None:
        match = _WS.match(self.text, self.pos)
        for end in _LINE_END.finditer(match.group()):
            self.line += 1
            self.line_start = self.pos + end.end()
        self.pos = match.end()
        self.gap = True

    def take(self, token: str, kind: str, line: int, column: int) -> None:
        self.pos += len(token)
        self.emit(token, kind, line, column)

    def number_allowed(self, char: str) -> bool:
        # '+' or '-' is a sign only when a digit follows it, and a lone '.' is punctuation.
        if char in "+-":
            return self.pos + 1 < len(self.text) and (
                self.text[self.pos + 1].isdigit() or self.text[self.pos + 1] == ".")
        return True

    def backslash_message(self) -> str:
        if _UCHAR.match(self.text, self.pos):
            return ("refused: a \\u or \\U codepoint escape outside a string or an IRI; SPARQL "
                    "parsers read these differently, so write the character itself")
        return "SPARQL syntax error: a backslash outside a string; remove it"

    def word(self, word: str, line: int, column: int) -> None:
        upper = word.upper()
        self.keywords.add(upper)
        if upper in OUTSIDE_KEYWORDS:
            self.outside.setdefault(upper, (upper, line, column))
        if upper == "PREFIX":
            self.take(word, "PREFIX", line, column)
            return
        self.take(word, "word", line, column)

    def pname(self, match: re.Match[str], line: int, column: int) -> None:
        token = match.group()
        self.pos = match.end()
        if self._last[0] == "PREFIX" and not match.group("local"):
            self.emit(token, "pname_ns", line, column)
            return
        local = match.group("local") or ""
        if "\\" in local:  # PN_LOCAL_ESC: write the IRI out in full, with no escape left
            prefix = match.group("prefix") or ""
            namespace = self.prefixes.get(prefix)
            if namespace is None:
                raise self.fail(
                    f"the prefixed name {token!r} uses a backslash escape and its prefix "
                    f"'{prefix}:' is not declared before it; declare it or write the full IRI",
                    match.start())
            iri = namespace + re.sub(r"\\(.)", r"\1", local)
            self.emit(f"<{self.checked_iri(iri, match.start())}>", "iri", line, column)
            return
        self.emit(token, "pname", line, column)

    def iri_or_operator(self, line: int, column: int) -> None:
        text, start = self.text, self.pos
        index = start + 1
        chars: list[str] = []
        while index < len(text):
            char = text[index]
            if char == ">":
                iri = "".join(chars)
                self.pos = index + 1
                written = f"<{self.checked_iri(iri, start)}>"
                if self._before_last[0] == "PREFIX" and self._last[0] == "pname_ns":
                    self.prefixes[self._last[1][:-1]] = iri
                self.emit(written, "iri", line, column)
                return
            if char == "\\":
                match = _UCHAR.match(text, index)
                if match is None:
                    break
                chars.append(self.codepoint(match, index))
                index = match.end()
                continue
            if not _IRI_CHAR.match(char):
                break
            chars.append(char)
            index += 1
        # Not an IRIREF: the operator '<' or '<='.
        self.punctuation("<", line, column)

    def checked_iri(self, iri: str, pos: int) -> str:
        for char in iri:
            if not _IRI_CHAR.match(char):
                raise self.fail(
                    f"refused: the IRI <{_shown(iri)}> holds {_name(char)} (written as an "
                    "escape); an IRI may not hold it, and SPARQL parsers treat it differently",
                    pos)
        return iri

    def codepoint(self, match: re.Match[str], pos: int) -> str:
        value = int(match.group(1) or match.group(2), 16)
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise self.fail(
                f"SPARQL syntax error: {match.group()} is not a character (a surrogate or out "
                "of range); write the character itself", pos)
        return chr(value)

    def string(self, line: int, column: int) -> None:
        text, start = self.text, self.pos
        quote = text[start]
        long = text.startswith(quote * 3, start)
        index = start + (3 if long else 1)
        value: list[str] = []
        while True:
            if index >= len(text):
                raise self.fail("SPARQL syntax error: a string is not closed; close it with "
                                f"{quote * (3 if long else 1)}", start)
            char = text[index]
            if long and text.startswith(quote * 3, index):
                # The string ends at the last quote of a run ('''' ends with one quote inside).
                while text.startswith(quote * 4, index):
                    value.append(quote)
                    index += 1
                index += 3
                break
            if not long and char == quote:
                index += 1
                break
            if not long and char in "\r\n":
                raise self.fail("SPARQL syntax error: a line break inside a quoted string; "
                                'write it as \\n, or use a """long string"""', start)
            if char == "\\":
                match = _UCHAR.match(text, index)
                if match is not None:
                    value.append(self.codepoint(match, index))
                    index = match.end()
                    continue
                escaped = text[index + 1: index + 2]
                if escaped not in _ECHAR:
                    raise self.fail(f"SPARQL syntax error: \\{escaped} is not an escape in a "
                                    "string; write \\\\ for a backslash", index)
                value.append(_ECHAR[escaped])
                index += 2
                continue
            if char in "\r\n":  # a line break inside a long string: count it
                if char == "\r" and text.startswith("\r\n", index):
                    index += 1
                self.line += 1
                self.line_start = index + 1
            value.append(char)
            index += 1
        self.pos = index
        self.emit(self.written_string("".join(value), start), "string", line, column)

    def written_string(self, value: str, pos: int) -> str:
        if re.search(r"\\[uU]", value):
            raise self.fail(
                "refused: a string holding a backslash followed by 'u'; SPARQL parsers read it "
                "differently (some expand it as a codepoint escape); leave out the backslash",
                pos)
        out = []
        for char in value:
            if char in _WRITE_ESCAPES:
                out.append(_WRITE_ESCAPES[char])
            elif _invisible(char):
                out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF
                           else f"\\U{ord(char):08X}")
            else:
                out.append(char)
        return f'"{"".join(out)}"'

    def langtag(self, line: int, column: int) -> None:
        match = _LANGTAG.match(self.text, self.pos)
        if match is None:
            raise self.fail("SPARQL syntax error: '@' must start a language tag such as @en")
        upper = match.group()[1:].upper()
        if upper in ("PREFIX", "BASE"):  # Turtle's @prefix is not SPARQL
            raise self.fail(f"SPARQL syntax error: {match.group()} is Turtle; in SPARQL write "
                            f"{upper} without the '@' and with no final '.'")
        self.take(match.group(), "langtag", line, column)

    def punctuation(self, char: str, line: int, column: int) -> None:
        for token in _PUNCT:
            if self.text.startswith(token, self.pos):
                self.take(token, "punct", line, column)
                return
        raise self.fail(f"SPARQL syntax error: unexpected {_name(char)}; remove it "
                        "(or put it inside a string)")


def _invisible(char: str) -> bool:
    """A character that is not shown as itself: controls, separators other than space,
    format characters (U+2028, U+0085, U+200B, U+FEFF, ...)."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") or (
        unicodedata.category(char) == "Zs" and char != " ")


def _name(char: str) -> str:
    if char.isprintable() and not _invisible(char):
        return f"the character {char!r}"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}{' ' + name if name else ''}"


def _shown(text: str, limit: int = 60) -> str:
    flat = "".join(c if c.isprintable() else f"\\u{ord(c):04X}" for c in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
