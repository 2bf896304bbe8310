"""Well-typed literals: whether a literal's lexical form belongs to its XSD datatype.

``"2011-13-45"^^xsd:date``, ``"abc"^^xsd:decimal`` or ``"yes"^^xsd:boolean`` are valid
RDF syntax but say nothing: no date, number or truth value has that form. rdflib keeps such a
literal "ill-typed" (and logs a traceback while doing so); SHACL checks only the properties a
shape names. So every literal of a known XSD datatype is checked here against the lexical
space XML Schema 1.1 Part 2 gives it, and one that is not in it is a violation
(``submission:IllTypedLiteral``), in a submission and in the dataset alike.

One deliberate restriction: a year has four digits (XSD allows more, ``"12345-01-01"``), since
no date in this dataset lies past 9999 and the tools that read it (Python, rdflib) cannot hold
one that does.

The library API::

    problem(literal)                    -> str | None   why the literal is ill-typed
    ill_typed(graph)                    -> [(subject, predicate, literal, why), ...]
    results_for(triples, locate)        -> [ValidationResult, ...]
    dataset_results(graph, files)       -> [ValidationResult, ...]   with FILE:LINE:COLUMN
    encoded_results(dataset, first)     -> the same, on the screened validation's store
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD
from rdflib.term import Node

from compact_kg.namespace import BASE
from compact_kg.rdfio import SourceMap

__all__ = [
    "RULE",
    "RULE_NAME",
    "dataset_results",
    "encoded_results",
    "ill_typed",
    "problem",
    "results_for",
]

#: The rule an ill-typed literal breaks.
RULE = URIRef(BASE + "submission/IllTypedLiteral")
RULE_NAME = "Values must be written as their datatype requires"
RULE_DESCRIPTION = ("A literal with an XSD datatype (a date, a number, a yes/no value, ...) must "
                    "be written in the form XML Schema gives that datatype.")

_X = str(XSD)

_YEAR = r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12][0-9]|3[01])"
_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_TIME = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_DURATION = re.compile(
    r"-?P(?=[0-9]|T[0-9])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?")
_YM_DURATION = re.compile(r"-?P(?=[0-9])(?:[0-9]+Y)?(?:[0-9]+M)?")
_DT_DURATION = re.compile(
    r"-?P(?=[0-9]|T[0-9])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?")
_NAME_START = r"A-Za-z_:\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff" \
              r"\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"

# datatype local name -> (pattern of the lexical space, example, what the form is)
_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "boolean": (re.compile(r"true|false|1|0"), '"true" or "false"'),
    "decimal": (_DECIMAL, '"58.5" (digits, one optional point, no spaces or units)'),
    "integer": (_INTEGER, '"42" (digits only)'),
    "double": (_FLOAT, '"1.5E3" or "0.25"'),
    "float": (_FLOAT, '"1.5E3" or "0.25"'),
    "date": (re.compile(rf"({_YEAR})-({_MONTH})-({_DAY}){_TZ}?"), '"2010-03-31"'),
    "dateTime": (re.compile(rf"({_YEAR})-({_MONTH})-({_DAY})T{_TIME}{_TZ}?"),
                 '"2010-03-31T09:30:00"'),
    "dateTimeStamp": (re.compile(rf"({_YEAR})-({_MONTH})-({_DAY})T{_TIME}{_TZ}"),
                      '"2010-03-31T09:30:00Z"'),
    "time": (re.compile(rf"{_TIME}{_TZ}?"), '"09:30:00"'),
    "gYear": (re.compile(rf"({_YEAR}){_TZ}?"), '"2010"'),
    "gYearMonth": (re.compile(rf"({_YEAR})-({_MONTH}){_TZ}?"), '"2010-03"'),
    "gMonth": (re.compile(rf"--{_MONTH}{_TZ}?"), '"--03"'),
    "gDay": (re.compile(rf"---{_DAY}{_TZ}?"), '"---31"'),
    "gMonthDay": (re.compile(rf"--({_MONTH})-({_DAY}){_TZ}?"), '"--03-31"'),
    "duration": (_DURATION, '"P1Y6M" or "PT2H"'),
    "yearMonthDuration": (_YM_DURATION, '"P1Y6M"'),
    "dayTimeDuration": (_DT_DURATION, '"P3DT2H"'),
    "hexBinary": (re.compile(r"(?:[0-9A-Fa-f]{2})*"), '"0FB7"'),
    "base64Binary": (re.compile(r"[A-Za-z0-9+/= ]*"), '"SGVsbG8="'),
    "language": (re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*"), '"en-GB"'),
    "normalizedString": (re.compile(r"[^\r\n\t]*"), "text without tabs or line breaks"),
    "token": (re.compile(r"(?:[^\s](?:[^\r\n\t ]| (?! ))*[^\s]|[^\s])?"),
              "text without tabs, line breaks, or leading, trailing or double spaces"),
    "NMTOKEN": (re.compile(rf"[{_NAME_CHAR}]+"), "one word of letters, digits, '-', '.', '_'"),
    "Name": (re.compile(rf"[{_NAME_START}][{_NAME_CHAR}]*"), "a name starting with a letter"),
    "NCName": (re.compile(rf"[{_NAME_START.replace(':', '')}][{_NAME_CHAR.replace(':', '')}]*"),
               "a name starting with a letter, without ':'"),
}

# integer types and their bounds (inclusive; None: unbounded)
_INTEGERS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-2**63, 2**63 - 1),
    "int": (-2**31, 2**31 - 1),
    "short": (-2**15, 2**15 - 1),
    "byte": (-2**7, 2**7 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}

_DATED = ("date", "dateTime", "dateTimeStamp", "gYear", "gYearMonth")

#: The XSD datatypes whose literals are checked (xsd:string and xsd:anyURI take any text).
CHECKED: frozenset[str] = frozenset(_X + name for name in (*_FORMS, *_INTEGERS))


def _integer_problem(local: str, text: str) -> str | None:
    low, high = _INTEGERS[local]
    if not _INTEGER.fullmatch(text):
        return 'a whole number, for example "42" (digits only, no spaces, points or units)'
    value = int(text)
    if low is not None and value < low:
        return f"a whole number of at least {low:,}"
    if high is not None and value > high:
        return f"a whole number of at most {high:,}"
    return None


def problem(literal: Literal) -> str | None:
    """Why ``literal`` is not in the lexical space of its XSD datatype, or None if it is
    (or if its datatype is not one that is checked). The reason reads "must be ..."."""
    datatype = literal.datatype
    if datatype is None or not str(datatype).startswith(_X):
        return None
    local = str(datatype)[len(_X):]
    text = str(literal)
    if local in _INTEGERS:
        return _integer_problem(local, text)
    form = _FORMS.get(local)
    if form is None:
        return None
    pattern, example = form
    match = pattern.fullmatch(text)
    if match is None:
        return example if example.startswith(("text", "one ", "a ")) else f"written like {example}"
    if local in _DATED or local == "gMonthDay":
        return _date_problem(local, match)
    if local == "base64Binary":
        return _base64_problem(text, example)
    return None


def _base64_problem(text: str, example: str) -> str | None:
    import base64
    import binascii

    packed = text.replace(" ", "")
    try:
        base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError):
        return f"written like {example}"
    return None if len(packed) % 4 == 0 else f"written like {example}"


def _date_problem(local: str, match: re.Match[str]) -> str | None:
    if local == "gMonthDay":
        month, day = int(match.group(1)), int(match.group(2))
        if day > (29 if month == 2 else calendar.monthrange(2001, month)[1]):
            return f"a day that month has (day {day} of month {month} does not exist)"
        return None
    year = match.group(1)
    if len(year.lstrip("-")) > 4:
        if local == "gYear":
            return "a year of four digits (0001 to 9999)"
        return "a date whose year has four digits (0001 to 9999)"
    if local in ("gYear", "gYearMonth"):
        return None
    number, month, day = int(year), int(match.group(2)), int(match.group(3))
    last = calendar.monthrange(number if number > 0 else 2000 + number % 400, month)[1]
    if day > last:
        return f"a day that month has ({year}-{match.group(2)} has {last} days)"
    return None


def ill_typed(triples: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Literal, str]]:
    """The triples whose object is an ill-typed literal, with the reason, in a stable order."""
    found = []
    verdicts: dict[Literal, str | None] = {}
    for s, p, o in triples:
        if type(o) is not Literal or o.datatype is None or str(o.datatype) not in CHECKED:
            continue
        if o not in verdicts:
            verdicts[o] = problem(o)
        why = verdicts[o]
        if why is not None:
            found.append((s, p, o, why))
    return sorted(found, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))


def _message(literal: Literal, why: str) -> str:
    from compact_kg.context import curie

    return (f'"{literal}" is not a valid {curie(literal.datatype)}: it must be {why}. '
            "Correct the value.")


Locate = Callable[[Node, Node, Literal], "tuple[str | None, int | None, int | None]"]


def results_for(found: Iterable[tuple[Node, Node, Literal, str]], locate: Locate,
                label: Callable[[Node], str | None] = lambda node: None) -> list:
    """A :class:`~compact_kg.validate.ValidationResult` for each ill-typed literal of
    :func:`ill_typed`, placed by ``locate(subject, predicate, literal)`` -> (file, line, column)."""
    from compact_kg.context import curie
    from compact_kg.rdfio import route_rdflib_literal_warnings
    from compact_kg.validate import ValidationResult, _value_text

    route_rdflib_literal_warnings()  # _value_text writes the literal: rdflib may warn
    results = []
    for s, p, o, why in found:
        file, line, column = locate(s, p, o)
        results.append(ValidationResult(
            severity="Violation", shape=str(RULE), rule=RULE_NAME, focus=str(s),
            focus_label=label(s), path=curie(p), value=_value_text(o),
            message=_message(o, why), file=file, line=line, column=column))
    return results


class _Placer:
    """Finds where a literal is written in some Turtle files (each read and mapped once)."""

    def __init__(self) -> None:
        self._contents: dict[Path, bytes] = {}
        self._maps: dict[Path, SourceMap] = {}

    def place(self, files: Iterable[Path], s: Node, p: Node,
              o: Literal) -> tuple[str | None, int | None, int | None]:
        needle = str(o).encode("utf-8")
        for file in files:
            if file not in self._contents:
                try:
                    self._contents[file] = file.read_bytes()
                except OSError:
                    self._contents[file] = b""
            if needle not in self._contents[file]:
                continue
            if file not in self._maps:
                self._maps[file] = SourceMap.from_bytes(self._contents[file], "turtle")
            where = self._maps[file].literals.get((str(o), str(o.datatype)))
            if where is None and isinstance(s, URIRef):
                where = self._maps[file].locate(s, p)
            if where is not None:
                return str(file), where[0], where[1]
        return None, None, None


def dataset_results(graph: Graph, files: Iterable[Path],
                    label: Callable[[Node], str | None] = lambda node: None) -> list:
    """The ill-typed literals of ``graph`` (read from ``files``), each placed at the file,
    line and column where it is written. Only the files that hold the literal's text are
    mapped, so a dataset without ill-typed literals costs one pass over its literals."""
    found = ill_typed(graph)
    if not found:
        return []
    files = [Path(f) for f in files]
    placer = _Placer()
    return results_for(found, lambda s, p, o: placer.place(files, s, p, o), label)


def encoded_results(dataset: Any, first_data: int = 0,
                    typed: dict[str, list[Any]] | None = None) -> list:
    """:func:`dataset_results` for an :class:`compact_kg.screen.EncodedDataset` (the screened
    validation's store), from its distinct typed literals; files before ``first_data`` (the
    ontology and vocabularies) are left out, as on the plain path."""
    import pyoxigraph as ox

    from compact_kg.screen import ENCODED, _to_rdflib, typed_literals
    from compact_kg.validate import _label

    typed = typed_literals(dataset) if typed is None else typed
    found: list[tuple[Node, Node, Literal, str]] = []
    file_of: dict[tuple[Node, Node, Literal], Path] = {}
    for stored, values in typed.items():
        datatype = stored[len(ENCODED):]
        if datatype not in CHECKED:
            continue
        for value in values:
            literal = Literal(value.value, datatype=URIRef(datatype), normalize=False)
            why = problem(literal)
            if why is None:
                continue
            for quad in dataset.store.quads_for_pattern(None, None, value, None):
                index = int(quad.graph_name.value.rsplit(":", 1)[1])
                if index < first_data:
                    continue
                key = (_to_rdflib(quad.subject), URIRef(quad.predicate.value), literal)
                file_of.setdefault(key, dataset.files[index])
                found.append((*key, why))
    found = sorted(set(found), key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    placer = _Placer()
    rdfs_label = ox.NamedNode(str(RDFS.label))

    def label(node: Node) -> str | None:
        labels = Graph()
        for quad in dataset.store.quads_for_pattern(_to_ox_node(node), rdfs_label, None, None):
            labels.add((node, URIRef(str(RDFS.label)), _to_rdflib(quad.object)))
        return _label(labels, node)

    return results_for(found, lambda s, p, o: placer.place([file_of[(s, p, o)]], s, p, o),
                       label)


def _to_ox_node(node: Node) -> Any:
    import pyoxigraph as ox

    return ox.NamedNode(str(node)) if isinstance(node, URIRef) else ox.BlankNode(str(node))
