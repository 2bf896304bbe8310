"""The review queue: submissions waiting for a curator before they enter data/.

A submitter (through ``serve --submissions`` or ``compact-kg review add``) sends a
submission that conforms; it is queued, not stored. A curator lists the queue, reads a
submission's report and what it would add, and approves it (it is checked again against the
dataset as it is *now*, then stored exactly as ``compact-kg submit`` stores it) or rejects it
with a reason. Nothing in the queue is ever deleted: a decision changes the entry's state.

Each queued submission is one JSON file in the queue folder, ``ID.json``, written atomically
and never into data/::

    {"format": 1, "id": "20261206-043000-3f2a9c1b", "state": "queued" | "approved" | "rejected",
     "received": "2026-12-06T04:30:00+00:00", "submitter": {"name": ..., "email": ...},
     "filename": "mine.ttl", "content": "...the submission, as Turtle...",
     "report": "...the validate report when it was received...",
     "decided": null | "...", "reason": null | "...", "stored": null | "data/submissions/..."}

The library API::

    enqueue(queue_dir, path, name=..., email=..., paths=...) -> QueueEntry
    list_entries(queue_dir) -> list[QueueEntry]
    get_entry(queue_dir, entry_id) -> QueueEntry
    show_entry(queue_dir, entry_id, paths=...) -> str           report + triples it would add
    approve(queue_dir, entry_id, paths=..., data_dir=...) -> ApproveResult
    reject(queue_dir, entry_id, why) -> QueueEntry
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compact_kg.errors import InputError, ReviewError, SubmissionError
from compact_kg.paths import ProjectPaths, default_paths

__all__ = [
    "MAX_QUEUED_BYTES",
    "STATES",
    "ApproveResult",
    "QueueEntry",
    "ReviewError",
    "approve",
    "enqueue",
    "get_entry",
    "list_entries",
    "reject",
    "show_entry",
]

STATES = ("queued", "approved", "rejected")
MAX_QUEUED_BYTES = 2_000_000
"""The largest submission the queue takes (as Turtle): a case study is a few tens of kB."""

_FORMAT = 1
_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{8}")
_EMAIL = re.compile(r"[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}\.[A-Za-z]{2,63}")


@dataclass(frozen=True)
class QueueEntry:
    """One queued submission and what became of it."""

    id: str
    state: str
    received: str
    submitter_name: str
    submitter_email: str
    filename: str
    content: str
    report: str
    decided: str | None = None
    reason: str | None = None
    stored: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"format": _FORMAT, "id": self.id, "state": self.state,
                "received": self.received,
                "submitter": {"name": self.submitter_name, "email": self.submitter_email},
                "filename": self.filename, "content": self.content, "report": self.report,
                "decided": self.decided, "reason": self.reason, "stored": self.stored}

    @classmethod
    def from_json(cls, data: dict[str, Any], where: Path) -> QueueEntry:
        try:
            if data["format"] != _FORMAT or data["state"] not in STATES:
                raise KeyError("format")
            return cls(id=data["id"], state=data["state"], received=data["received"],
                       submitter_name=data["submitter"]["name"],
                       submitter_email=data["submitter"]["email"],
                       filename=data["filename"], content=data["content"],
                       report=data["report"], decided=data.get("decided"),
                       reason=data.get("reason"), stored=data.get("stored"))
        except (KeyError, TypeError) as error:
            raise ReviewError(f"{where}: not a queue entry of this version of compact-kg "
                              f"(missing or wrong {error}); move it out of the queue folder"
                              ) from None


@dataclass(frozen=True)
class ApproveResult:
    """``entry`` after the decision; ``stored`` is None when the submission no longer
    conforms (``report`` says why, and the entry stays queued)."""

    entry: QueueEntry
    stored: Path | None
    report: str


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _new_id(content: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(f"{stamp}\0{content}".encode()).hexdigest()[:8]
    return f"{stamp}-{digest}"


def _entry_path(queue_dir: Path, entry_id: str) -> Path:
    if not _ID.fullmatch(entry_id):
        raise ReviewError(f"{entry_id!r} is not a queue ID (they look like "
                          "20261206-043000-3f2a9c1b); run `compact-kg review list`")
    return queue_dir / f"{entry_id}.json"


def _write(queue_dir: Path, entry: QueueEntry, *, new: bool) -> None:
    from compact_kg.rdfio import write_bytes_atomic

    data = json.dumps(entry.as_json(), ensure_ascii=False, indent=1).encode("utf-8")
    try:
        queue_dir.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(data, _entry_path(queue_dir, entry.id), exclusive=new)
    except FileExistsError:
        raise ReviewError(f"queue entry {entry.id} already exists; send again") from None
    except OSError as error:
        raise ReviewError(f"{queue_dir}: cannot write the queue ({error.strerror or error}); "
                          "check the folder given by --queue") from None


def _check_submitter(name: str, email: str) -> tuple[str, str]:
    name, email = " ".join(name.split()), email.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise InputError("give your name (up to 200 characters)", hint="It goes to the curator "
                         "with the submission, so that they can thank you or ask.")
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InputError(f"{email!r} is not an e-mail address",
                         hint="Give one the curator can write to, e.g. name@council.gov.uk.")
    return name, email


def enqueue(queue_dir: Path, submission: Path, *, name: str, email: str,
            paths: ProjectPaths | None = None, data_dir: Path | None = None,
            filename: str | None = None) -> QueueEntry:
    """Check ``submission`` (a file or a CSV form folder) and queue it for review.

    Only a conforming submission is queued (otherwise :class:`SubmissionError` says to fix
    it first); it is kept as Turtle with the report of its check. ``filename`` is the name
    the submitter gave it (an upload's), by default the file's own.
    """
    from compact_kg.submissions import format_check, validate_submissions

    name, email = _check_submitter(name, email)
    paths = paths or default_paths()
    submission = Path(submission)
    check = validate_submissions([submission], paths, data_dir)[0]
    report = format_check([check], "text")
    if not check.conforms:
        raise SubmissionError(f"{submission}: the submission does not conform, so it was not "
                              "sent for review; fix what `compact-kg validate` reports and "
                              "send it again")
    content = _as_turtle(submission, paths, data_dir)
    if len(content.encode("utf-8")) > MAX_QUEUED_BYTES:
        raise SubmissionError(f"{submission}: the submission is larger than "
                              f"{MAX_QUEUED_BYTES:,} bytes as Turtle; send one case study "
                              "at a time")
    shown = Path(filename or Path(submission).name).name
    if not shown.endswith(".ttl"):
        shown = f"{Path(shown).stem or 'submission'}.ttl"
    entry = QueueEntry(id=_new_id(content), state="queued", received=_now(),
                       submitter_name=name, submitter_email=email, filename=shown,
                       content=content, report=report)
    _write(queue_dir, entry, new=True)
    return entry


def _as_turtle(submission: Path, paths: ProjectPaths, data_dir: Path | None) -> str:
    """The submission as Turtle text: a Turtle file as it is, anything else converted."""
    from compact_kg.context import bind_standard_prefixes
    from compact_kg.rdfio import read_rdf

    if submission.is_file() and submission.suffix.lower() in (".ttl", ".turtle"):
        return submission.read_text(encoding="utf-8")
    from compact_kg.workbook import is_workbook

    if submission.is_dir() or is_workbook(submission):  # forms: the Turtle `convert` writes
        from compact_kg.submissions import convert_and_check

        with tempfile.TemporaryDirectory(prefix="compact-kg-review-") as folder:
            out = Path(folder) / "submission.ttl"
            convert_and_check(submission, out, paths, data_dir)
            return out.read_text(encoding="utf-8")
    graph = bind_standard_prefixes(read_rdf(submission))
    return graph.serialize(format="turtle")


def list_entries(queue_dir: Path) -> list[QueueEntry]:
    """Every entry of the queue, oldest first (an absent folder is an empty queue)."""
    if not queue_dir.is_dir():
        return []
    return [_read(path) for path in sorted(queue_dir.glob("*.json"))
            if _ID.fullmatch(path.stem)]


def _read(path: Path) -> QueueEntry:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReviewError(f"{path}: cannot read this queue entry ({error}); move it out of "
                          "the queue folder") from None
    return QueueEntry.from_json(data, path)


def get_entry(queue_dir: Path, entry_id: str) -> QueueEntry:
    """The entry ``entry_id``, or :class:`ReviewError`."""
    path = _entry_path(queue_dir, entry_id)
    if not path.is_file():
        raise ReviewError(f"no queued submission {entry_id} in {queue_dir}; run "
                          "`compact-kg review list`")
    return _read(path)


def _materialise(entry: QueueEntry, folder: Path) -> Path:
    path = folder / entry.filename
    path.write_text(entry.content, encoding="utf-8")
    return path


def show_entry(queue_dir: Path, entry_id: str, paths: ProjectPaths | None = None) -> str:
    """The entry as a curator reads it: who sent it, its state, its report, and the triples
    it would add, grouped by resource as ``compact-kg diff`` shows them."""
    from compact_kg.diff import compare_graphs
    from compact_kg.graphs import new_graph
    from compact_kg.namespace import BASE
    from compact_kg.rdfio import read_rdf

    entry = get_entry(queue_dir, entry_id)
    with tempfile.TemporaryDirectory(prefix="compact-kg-review-") as folder:
        graph = read_rdf(_materialise(entry, Path(folder)), format="turtle")
    lines = [f"{entry.id}  {entry.state}  received {entry.received}",
             f"from {entry.submitter_name} <{entry.submitter_email}>, file {entry.filename}"]
    if entry.decided:
        lines.append(f"{entry.state} {entry.decided}"
                     + (f": {entry.reason}" if entry.reason else "")
                     + (f" (stored as {entry.stored})" if entry.stored else ""))
    lines += ["", "Report when received:", entry.report.rstrip(), "",
              "What it would add:",
              compare_graphs(new_graph(BASE), graph).render(graph)]
    return "\n".join(lines) + "\n"


def _decided(entry_id: str, entry: QueueEntry) -> None:
    if entry.state != "queued":
        raise ReviewError(f"submission {entry_id} was {entry.state} on {entry.decided}; "
                          "only a queued submission can be approved or rejected")


def approve(queue_dir: Path, entry_id: str, paths: ProjectPaths | None = None,
            data_dir: Path | None = None) -> ApproveResult:
    """Check the entry again against the dataset as it is now, and store it as ``submit``
    does. When it no longer conforms, nothing is stored and the entry stays queued."""
    from compact_kg.submissions import format_check, submit

    entry = get_entry(queue_dir, entry_id)
    _decided(entry_id, entry)
    with tempfile.TemporaryDirectory(prefix="compact-kg-review-") as folder:
        result = submit(_materialise(entry, Path(folder)), paths or default_paths(),
                        data_dir=data_dir)
    report = format_check([result.check], "text")
    if result.stored is None:
        return ApproveResult(entry, None, report)
    decided = dataclasses.replace(entry, state="approved", decided=_now(),
                                  stored=str(result.stored))
    _write(queue_dir, decided, new=False)
    return ApproveResult(decided, result.stored, report)


def reject(queue_dir: Path, entry_id: str, why: str) -> QueueEntry:
    """Mark the entry rejected, keeping it and the reason (which the submitter's page shows)."""
    why = " ".join(why.split())
    if not why:
        raise InputError("say why the submission is rejected (--why TEXT)",
                         hint="The submitter reads it on the page of their submission.")
    entry = get_entry(queue_dir, entry_id)
    _decided(entry_id, entry)
    decided = dataclasses.replace(entry, state="rejected", decided=_now(), reason=why)
    _write(queue_dir, decided, new=False)
    return decided
